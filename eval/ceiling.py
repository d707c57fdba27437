"""What issue 10's accuracy targets ask of the reading model: run by hand, not in CI.

For each committed gold set and split, with the shipped reader and settings (or ``--reader`` /
``--tuned``), the questions fall in three groups: answerable ones whose best sentence is right
(R: right when answered), answerable ones whose best sentence is wrong (W: wrong whatever the
threshold does) and unanswerable ones (U: right when abstained). Accuracy at a threshold is then
(R above it + U below it) / all, so

* with a perfect confidence (every R above the threshold, every U below) accuracy is at most
  (R + U) / all, and top-citation at most R / answerable — the choice alone caps both;
* how well the confidence separates R from U is an AUC, and under the usual binormal model
  (R's and U's confidences normal with equal spread, AUC = Φ(d/√2)) the best threshold's
  accuracy follows from d and the three counts: the script prints the AUC each accuracy target
  needs, beside the AUC measured.

    python -m eval.ceiling                  # the three gold sets, dev and test splits
    python -m eval.ceiling --split test
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from statistics import NormalDist

import numpy as np

from qa.cli.common import _open_engine
from qa.evaluate.gold import COMMITTED
from qa.evaluate.metrics import Result, auc
from qa.evaluate.report import report

TARGETS = (0.75, 0.80)
_NORMAL = NormalDist()


def best_accuracy(right: int, unanswerable: int, wrong: int, d: float) -> float:
    """The best threshold's accuracy when R's confidences are N(d, 1) and U's N(0, 1)."""
    ts = np.linspace(-5.0, d + 5.0, 4001)
    r_above = np.asarray([1.0 - _NORMAL.cdf(t - d) for t in ts])
    u_below = np.asarray([_NORMAL.cdf(t) for t in ts])
    return float(np.max(right * r_above + unanswerable * u_below)) / (right + unanswerable + wrong)


def auc_needed(right: int, unanswerable: int, wrong: int, target: float) -> float | None:
    """The binormal AUC at which the best threshold reaches ``target``; None when even a
    perfect confidence cannot (the choice caps accuracy below it)."""
    if (right + unanswerable) / (right + unanswerable + wrong) < target:
        return None
    lo, hi = 0.0, 12.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if best_accuracy(right, unanswerable, wrong, mid) >= target:
            hi = mid
        else:
            lo = mid
    return _NORMAL.cdf(hi / math.sqrt(2))


def ceiling(results: Sequence[Result]) -> dict[str, float | int | None]:
    right = [r for r in results if r.answerable and r.would_be_correct]
    wrong = [r for r in results if r.answerable and not r.would_be_correct]
    unanswerable = [r for r in results if not r.answerable]
    n = len(results)
    measured = auc([r.confidence for r in right], [r.confidence for r in unanswerable])
    row: dict[str, float | int | None] = {
        "questions": n,
        "answerable": len(right) + len(wrong),
        "unanswerable": len(unanswerable),
        "accuracy": sum(r.correct for r in results) / n,
        "choice_right": len(right) / max(1, len(right) + len(wrong)),
        "accuracy_perfect_confidence": (len(right) + len(unanswerable)) / n,
        "auc_right_vs_unanswerable": measured,
    }
    if measured is not None:
        d = math.sqrt(2) * _NORMAL.inv_cdf(min(measured, 0.9999))
        row["binormal_accuracy_at_measured_auc"] = best_accuracy(
            len(right), len(unanswerable), len(wrong), d
        )
    for target in TARGETS:
        row[f"auc_needed_for_{target:.2f}"] = auc_needed(
            len(right), len(unanswerable), len(wrong), target
        )
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--reader", type=Path, default=None, help="a reading model folder")
    parser.add_argument("--tuned", type=Path, default=None, help="composer settings")
    args = parser.parse_args()
    splits = ("dev", "test") if args.split == "both" else (args.split,)
    for gold, corpus in COMMITTED:
        engine = _open_engine(corpus, None, reader=args.reader, tuned=args.tuned)
        for split in splits:
            _report, results = report(engine, gold, split)
            print(json.dumps({"gold": gold.stem, "split": split, **ceiling(results)}))


if __name__ == "__main__":
    main()
