"""Slow clients against a real uvicorn server on 127.0.0.1: N connections that send a request's
headers one byte a second, while a normal client keeps asking. Used by tests/test_hostile.py;
run by hand for bigger numbers:

    .venv/bin/python tests/slow_clients.py --connections 200 --read-timeout 10
    .venv/bin/python tests/slow_clients.py --connections 200 --read-timeout 0   # uvicorn alone
    .venv/bin/python tests/slow_clients.py --idle 2000 --max-connections 1000   # idle clients
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HEADERS = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 64 + b"\r\n\r\n"


@dataclass(frozen=True)
class Measured:
    connections: int
    opened: int  # slow connections the server accepted
    idle_p50_ms: float
    idle_p99_ms: float
    attack_p50_ms: float
    attack_p99_ms: float
    attack_requests: int
    attack_failures: int
    closed_by_server: int  # slow connections the server closed before the test gave up
    first_closed_s: float | None  # seconds after opening
    last_closed_s: float | None


def _latencies(url: str, seconds: float) -> tuple[list[float], int]:
    """A normal client: POST /ask over a kept-alive connection for ``seconds``."""
    times, failures = [], 0
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=10) as c:
        while time.monotonic() < deadline:
            t = time.perf_counter()
            try:
                ok = c.post("/ask", json={"question": "Who built it?"}).status_code == 200
            except httpx.TransportError:
                ok = False
            times.append((time.perf_counter() - t) * 1000)
            failures += not ok
            time.sleep(0.01)
    return times, failures


def _p(values: list[float], q: int) -> float:
    return round(statistics.quantiles(values, n=100)[q - 1], 2) if len(values) > 1 else 0.0


def measure(url: str, connections: int, attack_s: float) -> Measured:
    """Idle latencies, then ``connections`` slow clients for ``attack_s`` seconds (one byte a
    second each) with the normal client asking meanwhile; when each slow one was closed."""
    idle, _ = _latencies(url, 1.0)
    host, port = url.removeprefix("http://").split(":")
    slow: list[socket.socket] = []
    for _ in range(connections):
        s = socket.create_connection((host, int(port)), timeout=5)
        s.setblocking(False)
        slow.append(s)
    started = time.monotonic()
    closed: dict[int, float] = {}
    sent = 0

    def poll() -> None:
        for i, s in enumerate(slow):
            if i in closed:
                continue
            try:
                if s.recv(1024) == b"":  # an orderly close by the server
                    closed[i] = time.monotonic() - started
            except BlockingIOError:
                pass
            except OSError:
                closed[i] = time.monotonic() - started

    import threading

    result: dict[str, Any] = {}
    normal = threading.Thread(
        target=lambda: result.update(zip(("t", "f"), _latencies(url, attack_s), strict=True))
    )
    normal.start()
    while time.monotonic() - started < attack_s and len(closed) < connections:
        for i, s in enumerate(slow):
            if i not in closed and sent < len(HEADERS):
                try:
                    s.send(HEADERS[sent : sent + 1])
                except OSError:
                    closed[i] = time.monotonic() - started
        sent += 1
        tick = time.monotonic() + 1.0
        while time.monotonic() < tick:
            poll()
            time.sleep(0.05)
    normal.join(timeout=attack_s + 30)
    for s in slow:
        s.close()
    times = result.get("t", [])
    ends = sorted(closed.values())
    return Measured(
        connections=connections,
        opened=len(slow),
        idle_p50_ms=_p(idle, 50),
        idle_p99_ms=_p(idle, 99),
        attack_p50_ms=_p(times, 50),
        attack_p99_ms=_p(times, 99),
        attack_requests=len(times),
        attack_failures=result.get("f", 0),
        closed_by_server=len(closed),
        first_closed_s=round(ends[0], 2) if ends else None,
        last_closed_s=round(ends[-1], 2) if ends else None,
    )


SERVER = """
import sys, uvicorn
sys.path.insert(0, "tests")
from test_server import FakeEngine
from qa.serve.connections import h11_with_read_timeout
from qa.serve.app import create_app
uvicorn.run(create_app(FakeEngine), host="127.0.0.1", port=int(sys.argv[1]), log_level="error",
            http=h11_with_read_timeout(10), timeout_keep_alive=int(sys.argv[2]),
            limit_concurrency=int(sys.argv[3]))
"""


def _is_open(s: socket.socket) -> bool:
    """Whether the server still holds ``s`` open (what it sent is read and dropped)."""
    s.setblocking(False)
    try:
        while s.recv(65536):
            pass
        return False  # b"": closed by the server
    except BlockingIOError:
        return True
    except OSError:
        return False


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(
        int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1]) / 1024, 1
    )


def idle(connections: int, keep_alive: int, cap: int) -> dict[str, Any]:
    """A `qa serve`-like server in its own process; ``connections`` clients each make one
    request and then stay idle: its memory and descriptors, a new client's status, and how many
    idle ones are left after the keep-alive timeout."""
    import subprocess

    from serving import free_port

    port = free_port()
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(keep_alive), str(cap)], cwd=root
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        before, fds_before = _rss_mb(proc.pid), len(list(Path(f"/proc/{proc.pid}/fd").iterdir()))
        socks, statuses = [], []
        started = time.monotonic()
        for _ in range(connections):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            statuses.append(s.recv(4096).split(b" ", 2)[1].decode())
            socks.append(s)
        opened_s = time.monotonic() - started
        after, fds_after = _rss_mb(proc.pid), len(list(Path(f"/proc/{proc.pid}/fd").iterdir()))
        extra = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code
        time.sleep(keep_alive + 1.5)
        left = 0
        for s in socks:
            left += _is_open(s)
            s.close()
        return {
            "connections": connections,
            "keep_alive_s": keep_alive,
            "max_connections": cap,
            "seconds_to_open": round(opened_s, 2),
            "statuses": dict(Counter(statuses)),
            "server_rss_mb": [before, after],
            "server_fds": [fds_before, fds_after],
            "new_client_status_while_held": extra,
            "still_open_after_keep_alive": left,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from serving import in_thread
    from test_server import FakeEngine

    from qa.serve.app import create_app
    from qa.serve.connections import h11_with_read_timeout

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--read-timeout", type=float, default=10.0, help="0: uvicorn alone")
    parser.add_argument("--attack-seconds", type=float, default=15.0)
    parser.add_argument(
        "--idle", type=int, default=0, metavar="N", help="instead: N idle keep-alive clients"
    )
    parser.add_argument("--max-connections", type=int, default=1000)
    parser.add_argument("--keep-alive", type=int, default=5)
    args = parser.parse_args()
    if args.idle:
        print(json.dumps(idle(args.idle, args.keep_alive, args.max_connections), indent=1))
        return
    options: dict[str, Any] = {"limit_concurrency": 1000}
    if args.read_timeout > 0:
        options["http"] = h11_with_read_timeout(args.read_timeout)
    with in_thread(create_app(FakeEngine), **options) as (url, _):
        measured = measure(url, args.connections, args.attack_seconds)
    print(json.dumps({"read_timeout_s": args.read_timeout, **measured.__dict__}, indent=1))


if __name__ == "__main__":
    main()
