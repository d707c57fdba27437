"""Soak test: many clients hammer a real `qa serve` on 127.0.0.1; no request may fail (a 503
with Retry-After from the server's admission policy is allowed and counted) and the server's
resident memory must stay flat.

    python -m eval.soak                                  # 32 clients x 500 requests (16,000)
    python -m eval.soak --clients 32 --requests 40       # a quick run

It starts `qa serve` for the corpus (default: seeds/) on a free loopback port, warms it up, reads
the server's resident set size (RSS), then runs ``--clients`` keep-alive connections, each sending
``--requests`` requests one after another (closed loop) from a fixed mix: mostly POST /ask over a
few questions (every answer must equal the one the server gave during warm-up, timings aside),
then chat completions (some streamed), /sources, /readyz and /healthz. RSS is sampled through the
run and read again at the end. Prints one JSON object and exits 1 on any failed request or when
RSS grew by more than ``--max-growth-mb``. Loopback only; every loop is bounded in count and
time (``--max-seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

PROJECT = Path(__file__).resolve().parent.parent
MODEL = "qa-extractive"
QUESTIONS = [
    "Who are the co-chairs of the DEM Party?",
    "From which city did Mazloum Abdi issue his warning?",
    "Who is Syria's interim president?",
    "How many police officers were killed in the ambush near Latakia?",
    "What is the capital of Peru?",
    "Who condemned the Kassab offensive?",
]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)


def _request(method: str, path: str, body: bytes | None = None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + (body or b"")


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def mix(sources: list[str]) -> list[tuple[str, bytes]]:
    """The request mix, one entry per request slot (20 slots, cycled): 14 /ask, 2 chat (one
    streamed), 2 /sources, 1 /readyz, 1 /healthz."""
    asks = [(f"ask:{q}", _request("POST", "/ask", _json({"question": q}))) for q in QUESTIONS]
    chat = {"model": MODEL, "messages": [{"role": "user", "content": QUESTIONS[0]}]}
    slots = [asks[i % len(asks)] for i in range(14)]
    slots += [
        ("chat", _request("POST", "/v1/chat/completions", _json(chat))),
        ("chat-stream", _request("POST", "/v1/chat/completions", _json({**chat, "stream": True}))),
        ("sources", _request("GET", f"/sources/{sources[0]}/1")),
        ("sources", _request("GET", f"/sources/{sources[-1]}/2")),
        ("readyz", _request("GET", "/readyz")),
        ("healthz", _request("GET", "/healthz")),
    ]
    return slots


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status, _, body = await _response_with_headers(reader)
    return status, body


async def _response_with_headers(
    reader: asyncio.StreamReader,
) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if "content-length" in headers:
        return status, headers, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append((await reader.readexactly(size + 2))[:-2])
        await reader.readuntil(b"\r\n")
        return status, headers, b"".join(parts)
    raise ValueError("response without a length")


def _strip_timings(body: bytes) -> Any:
    obj = json.loads(body)
    obj.pop("timings_ms", None)
    return obj


async def _client(
    port: int,
    slots: list[tuple[str, bytes]],
    offset: int,
    count: int,
    expected: dict[str, Any],
    tally: Tally,
    deadline: float,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i in range(count):
            if time.monotonic() > deadline:
                tally.errors.append("the run hit --max-seconds")
                return
            kind, payload = slots[(offset + i) % len(slots)]
            started = time.perf_counter()
            try:
                writer.write(payload)
                status, headers, body = await asyncio.wait_for(_response_with_headers(reader), 60)
            except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError) as exc:
                tally.errors.append(f"{kind}: {type(exc).__name__} {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[str(status)] = tally.statuses.get(str(status), 0) + 1
            tally.by_kind[kind] = tally.by_kind.get(kind, 0) + 1
            if status == 503 and headers.get("retry-after"):
                continue  # shed by the admission policy: allowed, counted in statuses
            if status != 200:
                tally.errors.append(f"{kind}: HTTP {status} {body[:200]!r}")
            elif kind.startswith("ask:") and _strip_timings(body) != expected[kind]:
                tally.errors.append(f"{kind}: a different answer under load")
            elif kind == "chat-stream" and not body.rstrip().endswith(b"data: [DONE]"):
                tally.errors.append("chat-stream: the stream did not finish")
    finally:
        writer.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(
    corpus: Path, index: Path, port: int, log: Path, extra: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-c",
        "from qa.cli.commands import main; main()",
        "serve",
        "--port",
        str(port),
    ]
    cmd += ["--corpus", str(corpus), "--index", str(index), *extra]
    with log.open("wb") as err:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as an operator would; killed if it has not drained within a minute."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_request("GET", path))
        return await asyncio.wait_for(_response(reader), 10)
    finally:
        writer.close()


async def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"qa serve exited with {proc.returncode}")
        try:
            if (await _get(port, "/readyz"))[0] == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"qa serve was not ready after {timeout} s")


def _mib(n: int) -> float:
    return round(n / 2**20, 1)


async def soak(
    corpus: Path,
    index: Path,
    clients: int,
    requests: int,
    warmup: int,
    max_seconds: float,
    log: Path,
) -> dict[str, Any]:
    port = _free_port()
    proc = _start(corpus, index, port, log)
    try:
        await _wait_ready(port, proc, 300)
        server = psutil.Process(proc.pid)
        ready = json.loads((await _get(port, "/readyz"))[1])
        sources = sorted(p.name for p in corpus.glob("*.txt"))
        slots = mix(sources)
        # warm-up: every answer once (the reference), then enough traffic to settle allocators
        expected: dict[str, Any] = {}
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for kind, payload in slots:
            if kind.startswith("ask:") and kind not in expected:
                writer.write(payload)
                status, body = await _response(reader)
                if status != 200:
                    raise SystemExit(f"warm-up: {kind} gave HTTP {status}")
                expected[kind] = _strip_timings(body)
        writer.close()
        deadline = time.monotonic() + max_seconds
        warm = Tally()
        per_client = max(1, warmup // clients)
        await asyncio.gather(
            *(_client(port, slots, i, per_client, expected, warm, deadline) for i in range(clients))
        )
        if warm.errors:
            raise SystemExit(f"warm-up failed: {warm.errors[:3]}")
        rss_before = server.memory_info().rss
        samples = [rss_before]
        tally = Tally()

        async def sample() -> None:
            while True:
                await asyncio.sleep(1.0)
                samples.append(server.memory_info().rss)

        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        await asyncio.gather(
            *(_client(port, slots, i, requests, expected, tally, deadline) for i in range(clients))
        )
        seconds = time.perf_counter() - started
        sampler.cancel()
        rss_after = server.memory_info().rss
    finally:
        stop(proc)
    lat = sorted(tally.latencies)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else 0.0

    return {
        "clients": clients,
        "requests_per_client": requests,
        "requests": len(lat),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:5],
        "statuses": tally.statuses,
        "by_kind": tally.by_kind,
        "seconds": round(seconds, 1),
        "requests_per_s": round(len(lat) / seconds, 1) if seconds else 0.0,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "max_ms": pct(1.0),
        "warmup_requests": per_client * clients + len(expected),
        "rss_before_mib": _mib(rss_before),
        "rss_after_mib": _mib(rss_after),
        "rss_max_mib": _mib(max([*samples, rss_after])),
        "rss_growth_mib": _mib(rss_after - rss_before),
        "index_version": ready["index_version"],
        "server_exit_code": proc.returncode,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--requests", type=int, default=500, help="per client")
    ap.add_argument("--warmup", type=int, default=1000, help="requests before RSS is read")
    ap.add_argument("--corpus", type=Path, default=PROJECT / "seeds")
    ap.add_argument("--index", type=Path, default=None, help="default: a temporary folder")
    ap.add_argument("--max-seconds", type=float, default=1800)
    ap.add_argument("--max-growth-mb", type=float, default=64)
    ap.add_argument("--log", type=Path, default=None, help="qa serve's stderr (default: temp)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-soak-") as tmp:
        index = args.index or Path(tmp) / "index"
        log = args.log or Path(tmp) / "serve.log"
        result = asyncio.run(
            soak(
                args.corpus, index, args.clients, args.requests, args.warmup, args.max_seconds, log
            )
        )
        text = log.read_text(encoding="utf-8", errors="replace")
        result["server_tracebacks"] = text.count("Traceback")
        # uvicorn re-raises SIGTERM once it has drained, so the exit code is -15 either way
        result["clean_shutdown"] = "Application shutdown complete." in text
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    failed = result["errors"] or result["server_tracebacks"] or not result["clean_shutdown"]
    failed = failed or result["rss_growth_mib"] > args.max_growth_mb
    sys.exit(1 if failed or result["requests"] != args.clients * args.requests else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
