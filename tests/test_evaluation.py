"""The grounding regression suite: every gold set run end to end against its baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import GOLD_SETS

from qa.engine import Engine
from qa.report import read_baseline, regressions, report

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Engine]:
    models = ROOT / "index" / "models"
    out = {}
    for name, (corpus, _) in GOLD_SETS.items():
        out[name] = Engine.open(corpus, tmp_path_factory.mktemp(name), models_dir=models)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GOLD_SETS))
def test_grounding_holds_and_quality_does_not_regress(
    engines: dict[str, Engine], name: str
) -> None:
    rep, results = report(engines[name], ROOT / "eval" / "gold" / name, "test")
    bad = {r.id: r.invariant_failures for r in results if r.invariant_failures}
    assert bad == {}, f"grounding invariants failed: {bad}"
    assert rep["deterministic"], "the same questions gave different JSON on a second run"
    base = read_baseline(rep)
    assert base is not None, f"no baseline for {name}: run qa eval --update-baseline"
    assert regressions(rep, base) == []


def test_baseline_file_is_committed_for_every_gold_set() -> None:
    data = json.loads((ROOT / "eval" / "baseline.json").read_text())
    assert {f"{name}:test" for name in GOLD_SETS} <= set(data)
