"""A small HTTP/1.1 load generator for the benchmark: a fixed number of POST requests from a fixed
number of keep-alive connections, each sending its next request as soon as the last one is
answered (closed loop). Raw asyncio streams keep its own CPU cost low, so on a 2-core machine
it takes little from the server it measures. Loopback only.

    python -m eval.loadgen --url http://127.0.0.1:8000/ask --body-file bodies.jsonl \\
        --requests 2000 --concurrency 16

Prints one JSON object: requests, errors, seconds, requests_per_s, p50_ms, p90_ms, p99_ms, max_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    transport_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        body = b"".join(parts)
    else:
        body = await reader.read()
    return status, body


def _request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


async def run(
    url: str,
    bodies: list[bytes],
    requests: int,
    concurrency: int,
    warmup: int = 0,
    headers: dict[str, str] | None = None,
    timeout_s: float = 30.0,
) -> dict[str, float | int | str]:
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loadgen only talks to loopback addresses")
    payloads = [_request(host, port, path, b, headers or {}) for b in bodies]
    tally = Tally()
    issued = 0

    async def worker(count_it: bool) -> None:
        nonlocal issued
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                limit = requests if count_it else warmup
                if issued >= limit:
                    return
                payload = payloads[issued % len(payloads)]
                issued += 1
                started = time.perf_counter()
                try:
                    writer.write(payload)
                    status, _ = await asyncio.wait_for(_read_response(reader), timeout_s)
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    tally.errors += count_it
                    tally.transport_errors += count_it
                    tally.first_error = tally.first_error or repr(exc)
                    writer.close()
                    try:
                        reader, writer = await asyncio.open_connection(host, port)
                    except OSError:  # the server is gone: this worker stops
                        return
                    continue
                if not count_it:
                    continue
                tally.latencies.append(time.perf_counter() - started)
                tally.statuses[status] = tally.statuses.get(status, 0) + 1
                if status != 200:
                    tally.errors += 1
                    tally.first_error = tally.first_error or f"HTTP {status}"
        finally:
            writer.close()

    if warmup:
        await asyncio.gather(*(worker(False) for _ in range(concurrency)))
        issued = 0
    started = time.perf_counter()
    await asyncio.gather(*(worker(True) for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    lat = sorted(tally.latencies)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else 0.0

    return {
        "requests": len(lat) + tally.transport_errors,
        "errors": tally.errors,
        "statuses": json.dumps(tally.statuses),
        "first_error": tally.first_error,
        "seconds": round(seconds, 3),
        "requests_per_s": round(len(lat) / seconds, 1) if seconds else 0.0,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(lat[-1] * 1000, 2) if lat else 0.0,
        "concurrency": concurrency,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--body-file", required=True, help="one JSON request body per line")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=100)
    args = ap.parse_args(argv)
    with open(args.body_file, "rb") as fh:
        bodies = [line.rstrip(b"\n") for line in fh if line.strip()]
    result = asyncio.run(run(args.url, bodies, args.requests, args.concurrency, args.warmup))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
