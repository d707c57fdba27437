"""The grounding regression suite: every gold set run end to end against its baseline (the two
small ones in `make test`, squad-heldout's 1,034 test questions in `make test-all`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import GOLD_SETS

from qa.answer.engine import Engine
from qa.evaluate.report import read_baseline, regressions, report

ROOT = Path(__file__).resolve().parent.parent


LARGE = {"squad-heldout.jsonl"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=[pytest.mark.long] if n in LARGE else []) for n in GOLD_SETS],
)
def test_grounding_holds_and_quality_does_not_regress(tmp_path: Path, name: str) -> None:
    corpus, _ = GOLD_SETS[name]
    engine = Engine.open(corpus, tmp_path / "index", models_dir=ROOT / "index" / "models")
    rep, results = report(engine, ROOT / "eval" / "gold" / name, "test")
    bad = {r.id: r.invariant_failures for r in results if r.invariant_failures}
    assert bad == {}, f"grounding invariants failed: {bad}"
    assert rep["deterministic"], "the same questions gave different JSON on a second run"
    base = read_baseline(rep)
    assert base is not None, f"no baseline for {name}: run qa eval --update-baseline"
    assert regressions(rep, base) == []


def test_baseline_file_is_committed_for_every_gold_set() -> None:
    data = json.loads((ROOT / "eval" / "baseline.json").read_text())
    assert {f"{name}:test" for name in GOLD_SETS} <= set(data)
