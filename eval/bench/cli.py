"""The performance benchmark: the straightforward approach, the previous code and the current
code, side by side, in one run, every measurement in a fresh process.

    python -m eval.bench                         # every figure; ~15 min on 2 cores (first run
                                                 # also builds the 100k synthetic index, cached)
    python -m eval.bench --previous abc1234      # compare with another earlier revision
    python -m eval.bench --passages 1000000 --only scale --out eval/bench-1m.json   # 1M run
    python -m eval.bench --smoke                 # seconds: tiny sizes, no baseline, no previous

Prints a table (figure, target, baseline, previous, current, vs baseline, vs previous, met) and
saves everything measured to eval/reports/bench.json (or --out). The baseline is
eval/bench_baseline.py: sentence-transformers and torch on the query path, everything read
eagerly, exact flat search, bm25s, no batching. The previous code is an earlier git revision
(PREVIOUS, or --previous REV) checked out with `git worktree` into a temporary folder; its cold,
in-process and HTTP figures are measured by the same child processes as the current code's, run
with that folder as working directory and PYTHONPATH, through the API every version shares
(`Engine.open(DEFAULT_CORPUS).ask`, `qa.cli.ask_main`, `qa.cli.commands` serve). The scale figures
use a synthetic corpus of real sentences (eval/synthetic.py) whose vectors are recombined real
embeddings, not model outputs; questions are always encoded by the real model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .build import (
    build_baseline,
    build_embed,
    build_head,
    build_seeds,
    worker_build_seeds,
    worker_embed,
)
from .code import CURRENT, Code, _attempt, checkout, describe, prepare
from .cold import cold_asks, cold_baseline, cold_head
from .common import ONE_MILLION, PREVIOUS, PREVIOUS_SECTIONS, REPORTS, SECTIONS, _load, _log
from .http import http_baseline, http_head, http_serve
from .inproc import inproc_ask, inproc_baseline, inproc_same_answers, worker_inproc
from .refresh import refresh_figures
from .scale import scale_figures, worker_scale
from .scale_out import scale_out, worker_scale_out
from .sections import Section, SectionRun, each_checkout, measure
from .table import markdown, render, table

SECTION_TABLE = {  # in the order a run measures them
    "scale": Section(code=scale_figures),
    "cold": Section(head=cold_head, code=cold_asks, baseline=cold_baseline),
    "inproc": Section(
        code=each_checkout("in-process", inproc_ask),
        baseline=inproc_baseline,
        finish=inproc_same_answers,
    ),
    "http": Section(head=http_head, code=each_checkout("HTTP", http_serve), baseline=http_baseline),
    "build": Section(
        head=build_head,
        code=each_checkout("build", build_embed),
        baseline=build_baseline,
        finish=build_seeds,
    ),
    "scale-out": Section(code=scale_out),
    "refresh": Section(code=refresh_figures),
}
assert set(SECTION_TABLE) == set(SECTIONS)


def previous_rev(args: argparse.Namespace) -> str | None:
    """The revision of the "previous" column: --previous REV, else PREVIOUS; none with
    --no-previous, and none with --smoke unless --previous is given."""
    if args.no_previous:
        return None
    if args.previous:
        return str(args.previous)
    return None if args.smoke else PREVIOUS


def run(args: argparse.Namespace) -> dict[str, Any]:
    only = set(args.only.split(",")) if args.only else set(SECTIONS)
    baseline = not args.no_baseline
    rev = previous_rev(args) if only & set(PREVIOUS_SECTIONS) else None
    previous_info = describe(rev) if rev else None
    code = {"current": describe(None), "previous": previous_info}
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_avg_start": _load(),
        },
        "settings": {k: v for k, v in vars(args).items() if k != "worker"},
        "code": code,
    }
    timings = {}
    # make sure the seeds indexes exist before anything is timed (and set the previous code up
    # first, so that a revision it cannot be measured at shows at once)
    prepare(CURRENT)
    with _previous(previous_info) as checked_out:
        previous = checked_out
        if checked_out is not None and previous_info is not None:
            _log(f"previous code: {rev} ({previous_info['commit'][:12]}) in {checked_out.root}")
            previous_info.update(_attempt("previous code, setup", lambda: prepare(checked_out)))
            if "error" in previous_info:
                previous = None
        for name, section in SECTION_TABLE.items():
            if name not in only:
                continue
            _log(f"{name} … (load average {_load()})")
            started = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                own = previous if name in PREVIOUS_SECTIONS else None
                results[name] = measure(section, SectionRun(args, baseline, own, Path(tmp)))
            timings[name] = round(time.perf_counter() - started, 1)
            results[name]["load_avg_after"] = _load()
    if not args.smoke and ONE_MILLION.is_file() and args.out is None:
        results["scale_1m"] = json.loads(ONE_MILLION.read_text()).get("scale")
    results["section_seconds"] = timings
    results["machine"]["load_avg_end"] = _load()
    return results


@contextmanager
def _previous(info: dict[str, Any] | None) -> Iterator[Code | None]:
    if info is None:
        yield None
        return
    with checkout(info["commit"]) as code:
        yield code


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help=f"comma-separated sections of {SECTIONS}")
    ap.add_argument("--passages", type=int, default=100_000, help="synthetic corpus size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flat-max", type=int, default=None, help="override vector_index.FLAT_MAX")
    ap.add_argument("--cold-runs", type=int, default=7)
    ap.add_argument(
        "--questions", type=int, default=1000, help="in-process and scale `ask` question limit"
    )
    ap.add_argument("--requests", type=int, default=3000, help="HTTP requests per endpoint")
    ap.add_argument("--baseline-requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--embed-passages", type=int, default=1000)
    ap.add_argument(
        "--scale-out-passages", type=int, default=3000, help="synthetic corpus of scale-out"
    )
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument(
        "--refresh-passages", type=int, default=20_000, help="synthetic corpus of refresh"
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip the straightforward approach")
    ap.add_argument(
        "--previous",
        metavar="REV",
        default=None,
        help=f"the git revision of the 'previous' column (default {PREVIOUS}, the last commit "
        "before the reading model); its cold, in-process and HTTP figures are measured from a "
        "temporary git worktree",
    )
    ap.add_argument("--no-previous", action="store_true", help="skip the previous code")
    ap.add_argument(
        "--smoke", action="store_true", help="tiny sizes, no baseline, no previous unless given"
    )
    ap.add_argument("--out", type=Path, default=None, help="JSON path (eval/reports/bench.json)")
    ap.add_argument("--render", type=Path, default=None, help="print the table of a saved JSON")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="current", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--queries", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--ids", type=Path, help=argparse.SUPPRESS)
    return ap


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.worker:
        print(json.dumps(_run_worker(args)))
        return
    if args.smoke:
        args.passages, args.flat_max, args.cold_runs = 3000, 1000, 1
        args.questions, args.requests, args.embed_passages = 30, 100, 64
        args.scale_out_passages = 200
        args.refresh_passages = 2000
        args.no_baseline = True
    if args.render:  # re-print the table of a saved run
        results = json.loads(args.render.read_text())
        print(header(results) + "\n" + render(table(results)) + _failures(results))
        return
    results = run(args)
    rows = table(results)
    results["table"] = rows
    out = args.out or REPORTS / ("bench-smoke.json" if args.smoke else "bench.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
    print(header(results) + "\n" + render(rows) + _failures(results))
    print(f"\nsaved {out}")
    (out.with_suffix(".md")).write_text(markdown(rows) + "\n")


def header(results: dict[str, Any]) -> str:
    m = results["machine"]
    took = sum(results.get("section_seconds", {}).values())
    lines = [
        f"{results['started']}: {m['cpus']} CPUs, Python {m['python']}, load average "
        f"{m['load_avg_start']} → {m.get('load_avg_end')}, sections took {took:.0f} s"
    ]
    code = results.get("code") or {}
    if code.get("current"):
        c = code["current"]
        dirty = " with uncommitted changes" if c.get("dirty") else ""
        lines.append(f"current: the working tree at {c['commit'][:10]}{dirty}")
    if code.get("previous"):
        p = code["previous"]
        lines.append(f'previous: {p["rev"]} = {p["commit"][:10]} "{p.get("subject", "")[:70]}"')
    lines.append("vs X: how many times better the current figure is than X's (< 1×: worse)")
    return "\n".join(lines) + "\n"


def _failures(results: dict[str, Any]) -> str:
    """The previous code's measurements that failed (their cells are empty)."""
    setup = (results.get("code") or {}).get("previous") or {}
    failed = [f"previous code, setup: {_last_line(setup['error'])}"] if "error" in setup else []
    failed += [
        f"previous code, {name}: {_last_line(results[name]['previous']['error'])}"
        for name in PREVIOUS_SECTIONS
        if "error" in (results.get(name) or {}).get("previous", {})
    ]
    return "".join(f"\nFAILED {line}" for line in failed)


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "?"


def _run_worker(args: argparse.Namespace) -> dict[str, Any]:
    if args.worker == "inproc":
        return worker_inproc(args.engine, args.limit)
    if args.worker == "embed":
        return worker_embed(args.engine, args.texts)
    if args.worker == "build-seeds":
        return worker_build_seeds()
    if args.worker == "scale-out":
        return worker_scale_out(args.corpus, args.workers)
    if args.worker == "scale":
        return worker_scale(
            args.engine, args.corpus, args.index, args.queries, args.texts, args.ids, args.limit
        )
    raise SystemExit(f"unknown worker {args.worker}")
