"""Section cold: the `ask` console script from spawn to printed answer, and whether it imports
torch."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from .code import CURRENT, Code, _attempt
from .common import QUESTION, _log
from .sections import SectionRun


def _timed_run(code: Code, cmd: list[str]) -> float:
    started = time.perf_counter()
    done = code.run(cmd)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"{' '.join(cmd[:3])} in {code.root} failed: {done.stderr[-2000:]}")
    return seconds


def _imports_torch(code: Code, cmd: list[str]) -> bool:
    """Does the command import torch (or sentence_transformers)? Checked with -X importtime."""
    assert cmd[0] == sys.executable
    done = code.run([sys.executable, "-X", "importtime", *cmd[1:]])
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} in {code.root} failed: {done.stderr[-2000:]}")
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return "torch" in names or "sentence_transformers" in names


def _seconds(times: Sequence[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
    }


def _cold_figures(code: Code, times: list[float]) -> dict[str, Any]:
    return {
        **_seconds(times),
        "torch_on_help": _imports_torch(code, code.ask("--help")),
        "torch_on_ask": _imports_torch(code, code.ask(QUESTION)),
    }


def cold_head(run: SectionRun) -> dict[str, Any]:
    return {"question": QUESTION, "runs": run.args.cold_runs}


def cold_asks(run: SectionRun) -> dict[str, Any]:
    """The `ask` entry point from spawn to exit; with a previous checkout, its runs alternate
    with the current code's so that both see the same machine. Then, for scale, `python -c
    'import numpy'`."""
    runs, previous = run.args.cold_runs, run.previous
    codes = {"current": CURRENT, "previous": previous} if previous else {"current": CURRENT}
    out: dict[str, Any] = {}
    times: dict[str, list[float]] = {side: [] for side in codes}
    failed: dict[str, str] = {}

    def timed(side: str) -> None:
        if side in failed:
            return
        try:
            times[side].append(_timed_run(codes[side], codes[side].ask(QUESTION)))
        except RuntimeError as exc:
            if side == "current":
                raise
            _log(f"previous code, cold ask failed: {exc}")
            failed[side] = str(exc)[-2000:]

    for side in codes:
        timed(side)  # warm-up: the page cache, and the index built if needed
        times[side].clear()
    for _ in range(runs):
        for side in codes:
            timed(side)
    out["current"] = _cold_figures(CURRENT, times["current"])
    if previous:
        out["previous"] = (
            {"error": failed["previous"]}
            if "previous" in failed
            else _attempt("previous code, cold", lambda: _cold_figures(previous, times["previous"]))
        )
    python_numpy = [
        _timed_run(CURRENT, [sys.executable, "-c", "import numpy; print(1)"]) for _ in range(runs)
    ]
    out["python_numpy_median_s"] = round(statistics.median(python_numpy), 3)
    return out


def cold_baseline(run: SectionRun) -> dict[str, Any]:
    base = [sys.executable, "-m", "eval.bench_baseline", "ask", QUESTION]
    _timed_run(CURRENT, base)
    return {
        **_seconds([_timed_run(CURRENT, base) for _ in range(run.args.cold_runs)]),
        "torch_on_ask": _imports_torch(CURRENT, base),
    }
