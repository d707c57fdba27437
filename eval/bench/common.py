"""What every section shares: the paths and settings of a run, the gold questions, latency
summaries, this process's memory and load, a free port and the log. Only the standard library
at module level: the measuring children load this package too (see worker.py)."""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # eval/bench/ of this project, also in a child
PROJECT = PACKAGE.parent.parent
REPORTS = PROJECT / "eval" / "reports"
CACHE = PROJECT / "index" / "bench"
GOLD = (PROJECT / "eval" / "gold" / "seeds.jsonl", PROJECT / "eval" / "gold" / "licenses.jsonl")
ONE_MILLION = PROJECT / "eval" / "bench-1m.json"
QUESTION = "who led the 2014 Kassab offensive?"
SECTIONS = ("cold", "inproc", "http", "build", "scale", "scale-out", "refresh")
PREVIOUS = "8208fa2"  # the last commit before the reading model
PREVIOUS_SECTIONS = ("cold", "inproc", "http")  # measured for the previous code too
# the entry points every version has; children run them as `python -c` in the checkout measured
ASK_ENTRY = "from qa.cli import ask_main; ask_main()"
QA_ENTRY = "from qa.cli import main; main()"


def _questions(paths: Sequence[Path] = GOLD[:1]) -> list[str]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out


def _pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _summary(ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p90_ms": round(_pct(ms, 0.90), 3),
        "p99_ms": round(_pct(ms, 0.99), 3),
        "max_ms": round(max(ms), 3),
    }


def memory() -> dict[str, float]:
    """This process's memory from /proc (MiB): resident, of which anonymous and file-backed
    (memory-mapped index files are file-backed: shared page cache), and the peak."""
    fields = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file", "VmHWM": "peak_rss"}
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":")[0]
            if key in fields:
                out[fields[key] + "_mib"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return out


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
