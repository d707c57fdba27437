"""The evaluation report, the committed baselines and the regression gate, the sweep plot."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from qa.evaluate.evaluation import run
from qa.evaluate.gold import GoldError, gold_digest, load_gold, select
from qa.evaluate.metrics import (
    QUALITY,
    Result,
    best_threshold,
    bootstrap_halfwidth,
    by_tag,
    metrics,
    sweep,
)

BASELINE = Path(__file__).resolve().parents[2] / "eval" / "baseline.json"


def report(
    engine: Any, gold_path: Path, split: str, progress: Callable[[int], None] | None = None
) -> tuple[dict[str, Any], list[Result]]:
    gold = select(load_gold(gold_path), split)
    if not gold:
        raise GoldError(f"no questions in the {split} split of {gold_path}")
    results, identical = run(engine, gold, progress)
    points = sweep(results)
    best = best_threshold(points)
    return {
        "gold": str(gold_path),
        "gold_sha256": gold_digest(gold_path),
        "split": split,
        "corpus": str(engine.corpus),
        "index_version": engine.index_version,
        "questions": len(results),
        "threshold": engine.composer.settings.threshold,
        "metrics": metrics(results),
        "halfwidth": bootstrap_halfwidth(results),
        "by_tag": by_tag(results),
        "invariants_ok": all(not r.invariant_failures for r in results),
        "invariant_failures": {
            r.id: list(r.invariant_failures) for r in results if r.invariant_failures
        },
        "deterministic": identical,
        "best_threshold": best,
        "best_accuracy": max(p["accuracy"] for p in points),
        "sweep": points,
        "failures": [r.id for r in results if not r.correct],
        "passing": [r.id for r in results if r.correct],
    }, results


def baseline_key(report: dict[str, Any]) -> str:
    return f"{Path(report['gold']).name}:{report['split']}"


def baseline_entry(report: dict[str, Any]) -> dict[str, Any]:
    keys = ("gold_sha256", "split", "questions", "threshold", "metrics", "halfwidth", "passing")
    return {k: report[k] for k in keys}


def read_baseline(report: dict[str, Any], path: Path = BASELINE) -> dict[str, Any] | None:
    """The committed baseline for this gold file and split, if it was made from the same file."""
    if not path.is_file():
        return None
    entry: dict[str, Any] | None = json.loads(path.read_text()).get(baseline_key(report))
    if entry is None or entry.get("gold_sha256") != report["gold_sha256"]:
        return None
    return entry


def write_baseline(report: dict[str, Any], path: Path = BASELINE) -> None:
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[baseline_key(report)] = baseline_entry(report)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def regressions(current: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Metrics that dropped by more than max(2 points, the bootstrap 95% half-width), each
    with the questions that newly fail."""
    out = []
    newly = sorted(set(baseline.get("passing", [])) - set(current["passing"]))
    for name in QUALITY:
        old, new = baseline["metrics"].get(name), current["metrics"].get(name)
        if old is None or new is None:
            continue
        allowed = max(0.02, baseline.get("halfwidth", {}).get(name, 0.0))
        if new < old - allowed:
            out.append(
                f"{name} {old:.3f} → {new:.3f} (allowed −{allowed:.3f}); newly failing: "
                f"{', '.join(newly) or 'none'}"
            )
    return out


# ---------------------------------------------------------------- the sweep plot


def plot(points: Sequence[dict[str, float]], current: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p["abstention"] for p in points], [p["accuracy"] for p in points], marker=".")
    here = min(points, key=lambda p: abs(p["threshold"] - current))
    ax.scatter(
        [here["abstention"]],
        [here["accuracy"]],
        color="red",
        zorder=3,
        label=f"threshold {current:.2f}",
    )
    ax.set_xlabel("share of questions abstained")
    ax.set_ylabel("accuracy (right answer or rightly abstained)")
    ax.set_title("Abstention threshold sweep")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
