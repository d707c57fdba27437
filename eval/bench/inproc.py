"""Section inproc: ``Engine.ask`` in one process over the seeds questions (worker_inproc, in a
child of each checkout), and what short answers add to it."""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .code import Code, _worker
from .common import _questions, _summary, memory
from .sections import SectionRun


def _same(a: list[str], b: list[str]) -> str:
    return f"{sum(x == y for x, y in zip(a, b, strict=True))}/{len(a)}"


def inproc_baseline(run: SectionRun) -> dict[str, Any]:
    return _worker("inproc", "--engine", "baseline", "--limit", str(run.args.questions))


def inproc_same_answers(run: SectionRun, out: dict[str, Any]) -> None:
    """The current code's answers compared with the previous code's and the baseline's; then
    the answers are dropped from the results."""
    if "answers" in out.get("previous", {}):
        out["same_as_previous"] = _same(out["current"]["answers"], out["previous"]["answers"])
    if "baseline" in out:
        out["same_answers"] = _same(out["current"]["answers"], out["baseline"]["answers"])
    for side in ("current", "previous", "baseline"):
        out.get(side, {}).pop("answers", None)


def inproc_ask(run: SectionRun, code: Code) -> dict[str, Any]:
    limit = run.args.questions
    result = _worker("inproc", "--engine", "current", "--limit", str(limit), code=code)
    if not Path(result["package"]).is_relative_to(code.root.resolve()):
        raise RuntimeError(f"the worker for {code.root} imported qa from {result['package']}")
    return result


def worker_inproc(engine_name: str, limit: int) -> dict[str, Any]:
    """``engine_name`` "current": the ``qa`` package on the path (the previous checkout's when
    run there), through the API every version has; "baseline": eval/bench_baseline.py."""
    questions = _questions()[:limit]
    started = time.perf_counter()
    if engine_name == "current":
        import qa

        package = str(Path(qa.__file__).resolve().parent)
        if _staged(package):
            from qa.answer.engine import DEFAULT_CORPUS, Engine
        else:  # code from before the stage packages (the previous code)
            from qa.engine import DEFAULT_CORPUS, Engine  # type: ignore[import-not-found,no-redef]

        engine: Any = Engine.open(DEFAULT_CORPUS)
    else:
        from eval.bench_baseline import open_baseline
        from qa.answer.engine import DEFAULT_CORPUS

        package = "eval/bench_baseline.py"
        engine = open_baseline(DEFAULT_CORPUS)
    opened = time.perf_counter() - started
    for q in questions[:20]:  # warm-up
        engine.ask(q)
    latencies, stages = [], {"embed": [], "retrieve": [], "compose": []}  # type: ignore[var-annotated]
    answers = []
    for q in questions:
        t = time.perf_counter()
        answer = engine.ask(q)
        latencies.append((time.perf_counter() - t) * 1000)
        answers.append(answer.answer)
        for k in stages:
            stages[k].append(answer.timings_ms.get(k, 0.0))
    return {
        "package": package,
        "open_s": round(opened, 3),
        **_summary(latencies),
        "stage_p50_ms": {k: round(statistics.median(v), 3) for k, v in stages.items()},
        "answers": answers,
        "memory": memory(),
        **(_span_cost(engine, questions, package) if engine_name == "current" else {}),
    }


def _staged(package: str) -> bool:
    """Whether the checkout's ``qa`` is laid out in stage packages. Asked of its folder, not
    of the import system: an editable install's finder resolves ``qa.answer`` to this
    project's package when the checkout has none."""
    return (Path(package) / "answer" / "__init__.py").is_file()


def _span_cost(engine: Any, questions: Sequence[str], package: str) -> dict[str, Any]:
    """What short answers add to a question: each question asked twice in turn, with the
    reader's span decoding and with it replaced by "no span" (the forward pass is the same
    one), p50 of each. Code without a reading model reports nothing."""
    name = "qa.answer.reader" if _staged(package) else "qa.reader"
    if not (Path(package).parent / (name.replace(".", "/") + ".py")).is_file():
        return {}
    reader_module = importlib.import_module(name)
    real = reader_module.best_span

    def no_span(*args: Any, **kwargs: Any) -> tuple[None, float]:
        return None, 0.0

    times: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for q in questions:
            for side, decode in (("with", real), ("without", no_span)):
                reader_module.best_span = decode  # type: ignore[assignment]
                t = time.perf_counter()
                engine.ask(q)
                times[side].append((time.perf_counter() - t) * 1000)
    finally:
        reader_module.best_span = real
    return {"short_answers_p50_ms": {k: round(statistics.median(v), 3) for k, v in times.items()}}
