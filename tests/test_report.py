"""The regression gate against the committed baseline."""

from __future__ import annotations

from qa.evaluate.report import regressions


def test_regressions_flag_drops_beyond_tolerance_and_name_questions() -> None:
    base = {
        "metrics": {"accuracy": 0.80, "hit@1": 0.70},
        "halfwidth": {"accuracy": 0.05},
        "passing": ["q1", "q2", "q3"],
    }
    ok = {"metrics": {"accuracy": 0.76, "hit@1": 0.69}, "passing": ["q1", "q2"]}
    bad = {"metrics": {"accuracy": 0.70, "hit@1": 0.60}, "passing": ["q1"]}
    assert regressions(ok, base) == []
    found = regressions(bad, base)
    assert len(found) == 2
    assert all("q2, q3" in f for f in found)
