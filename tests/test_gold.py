"""Gold files: malformed ones are rejected, and the committed sets are well formed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import GOLD_SETS

from qa.evaluate.gold import Corpus, GoldError, load_gold

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"id": "a", "question": "q", "answerable": true}'], "need evidence"),
        (['{"id": "a", "question": "q", "answerable": false}'] * 2, "duplicate id"),
        (["not json"], "not a gold question"),
    ],
)
def test_bad_gold_files_are_rejected(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text("\n".join(lines))
    with pytest.raises(GoldError, match=message):
        load_gold(path)


@pytest.mark.parametrize("name", list(GOLD_SETS))
def test_committed_gold_sets_are_well_formed(name: str) -> None:
    gold = load_gold(ROOT / "eval" / "gold" / name)
    folder, least = GOLD_SETS[name]
    corpus = Corpus(folder)
    assert len(gold) >= least
    assert {q.split for q in gold} == {"dev", "test"}
    for q in gold:
        corpus.evidence_spans(q)  # every quote is verbatim in its file
