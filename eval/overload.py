"""Overload test: a real `qa serve` on 127.0.0.1 offered several times the load it can answer.

    python -m eval.overload                       # 4x the measured saturation rate for 30 s
    python -m eval.overload --factor 4 --seconds 10

Three phases, each bounded in count and time:

1. *Saturation*: 16 keep-alive connections ask questions back to back (closed loop) for
   ``--measure`` seconds; the rate of answers is the server's saturation rate.
2. *Burst*: for ``--seconds``, new requests arrive at ``--factor`` times that rate whatever the
   server does (open loop, one connection each). Every request must end in an answer (200) or
   a 503 with ``Retry-After``; none may wait longer than the deadline plus ``--grace``.
3. *Recovery*: right after the burst, 16 connections ask back to back again; the answers per
   second are counted second by second, and recovery is the first second whose rate reaches
   ``--recovered`` of the saturation rate.

Prints one JSON object; exits 1 when a request failed otherwise, took too long, or the server
did not recover within ``--recovery-limit`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.soak import (
    PROJECT,
    QUESTIONS,
    _free_port,
    _json,
    _request,
    _start,
    _wait_ready,
    stop,
)

ASKS = [_request("POST", "/ask", _json({"question": q})) for q in QUESTIONS]


@dataclass
class Outcomes:
    answered: list[float] = field(default_factory=list)  # seconds, 200s
    shed: list[float] = field(default_factory=list)  # seconds, 503s with Retry-After
    failures: list[str] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)  # monotonic time of each 200


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    payload: bytes,
    out: Outcomes,
    timeout: float,
) -> None:
    started = time.perf_counter()
    try:
        writer.write(payload)
        status, headers, body = await asyncio.wait_for(_response(reader), timeout)
    except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError) as exc:
        out.failures.append(f"{type(exc).__name__} after {time.perf_counter() - started:.1f} s")
        raise
    took = time.perf_counter() - started
    if status == 200:
        out.answered.append(took)
        out.finished.append(time.monotonic())
    elif status == 503 and headers.get("retry-after"):
        out.shed.append(took)
    else:
        out.failures.append(f"HTTP {status} {body[:120]!r}")


async def _closed_loop(port: int, seconds: float, out: Outcomes, timeout: float) -> None:
    end = time.monotonic() + seconds

    async def client(k: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            i = k
            while time.monotonic() < end:
                await _exchange(reader, writer, ASKS[i % len(ASKS)], out, timeout)
                i += 1
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    await asyncio.gather(*(client(k) for k in range(16)))


async def _open_loop(port: int, rate: float, seconds: float, out: Outcomes, timeout: float) -> int:
    async def one(i: int) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            out.failures.append(f"connect: {exc}")
            return
        try:
            await _exchange(reader, writer, ASKS[i % len(ASKS)], out, timeout)
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    tasks = []
    start = time.monotonic()
    count = int(rate * seconds)
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return count


def _ms(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p * len(s)))] * 1000, 1)


async def overload(args: argparse.Namespace, index: Path, log: Path) -> dict[str, Any]:
    port = _free_port()
    proc = _start(args.corpus, index, port, log, ["--deadline", str(args.deadline)])
    timeout = args.deadline + args.grace
    try:
        await _wait_ready(port, proc, 300)
        warm = Outcomes()
        await _closed_loop(port, 2.0, warm, timeout)
        sat = Outcomes()
        began = time.monotonic()
        await _closed_loop(port, args.measure, sat, timeout)
        saturation = len(sat.answered) / (time.monotonic() - began)
        burst = Outcomes()
        offered = await _open_loop(port, args.factor * saturation, args.seconds, burst, timeout)
        after = Outcomes()
        burst_end = time.monotonic()
        await _closed_loop(port, args.recovery_limit + 3, after, timeout)
    finally:
        stop(proc)
    per_second = [
        sum(burst_end + k <= t < burst_end + k + 1 for t in after.finished)
        for k in range(int(args.recovery_limit + 3))
    ]
    recovered = next(
        (k + 1 for k, n in enumerate(per_second) if n >= args.recovered * saturation), None
    )
    return {
        "deadline_s": args.deadline,
        "saturation_per_s": round(saturation, 1),
        "saturation_p99_ms": _ms(sat.answered, 0.99),
        "offered_per_s": round(args.factor * saturation, 1),
        "burst_seconds": args.seconds,
        "burst_requests": offered,
        "answered": len(burst.answered),
        "shed_503": len(burst.shed),
        "failures": len(burst.failures) + len(sat.failures) + len(after.failures),
        "first_failures": (burst.failures + sat.failures + after.failures)[:5],
        "answered_p50_ms": _ms(burst.answered, 0.5),
        "answered_p99_ms": _ms(burst.answered, 0.99),
        "answered_max_ms": _ms(burst.answered, 1.0),
        "shed_p50_ms": _ms(burst.shed, 0.5),
        "shed_p99_ms": _ms(burst.shed, 0.99),
        "shed_max_ms": _ms(burst.shed, 1.0),
        "answers_per_s_after_burst": per_second,
        "recovered_after_s": recovered,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=PROJECT / "seeds")
    ap.add_argument("--index", type=Path, default=None, help="default: a temporary folder")
    ap.add_argument("--factor", type=float, default=4.0, help="offered load / saturation rate")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the burst")
    ap.add_argument("--measure", type=float, default=8.0, help="seconds measuring saturation")
    ap.add_argument("--deadline", type=float, default=2.0, help="the server's --deadline")
    ap.add_argument("--grace", type=float, default=1.0, help="client timeout past the deadline")
    ap.add_argument("--recovered", type=float, default=0.8, help="share of saturation rate")
    ap.add_argument("--recovery-limit", type=float, default=5.0)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-overload-") as tmp:
        index = args.index or Path(tmp) / "index"
        log = Path(tmp) / "serve.log"
        result = asyncio.run(overload(args, index, log))
        result["server_tracebacks"] = log.read_text(errors="replace").count("Traceback")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    late = (result["answered_max_ms"] or 0) > 1000 * (args.deadline + args.grace)
    recovered = result["recovered_after_s"]
    failed = result["failures"] or result["server_tracebacks"] or late
    sys.exit(1 if failed or recovered is None or recovered > args.recovery_limit else 0)


if __name__ == "__main__":
    main()
