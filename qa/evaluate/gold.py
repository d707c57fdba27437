"""Gold sets: the JSONL files, their splits, and the corpus texts their evidence quotes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from qa.core.errors import QAError
from qa.core.types import Evidence, GoldQuestion
from qa.ingest.corpus import decode, split_paragraphs

SPLITS = ("dev", "test", "all")
_ROOT = Path(__file__).resolve().parents[2]
# the committed gold sets, each with its corpus: what `qa tune` fits on unless told otherwise
COMMITTED = (
    (_ROOT / "eval" / "gold" / "seeds.jsonl", _ROOT / "seeds"),
    (_ROOT / "eval" / "gold" / "licenses.jsonl", _ROOT / "eval" / "corpora" / "licenses"),
    (
        _ROOT / "eval" / "gold" / "squad-heldout.jsonl",
        _ROOT / "eval" / "corpora" / "squad-heldout",
    ),
)


class GoldError(QAError):
    pass


# ---------------------------------------------------------------- gold files


def load_gold(path: Path) -> list[GoldQuestion]:
    if not path.is_file():
        raise GoldError(f"gold file {path} not found — pass --gold FILE")
    out, seen = [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            q = GoldQuestion(
                id=str(r["id"]),
                question=str(r["question"]),
                answerable=bool(r["answerable"]),
                answers=tuple(str(a) for a in r.get("answers", [])),
                evidence=tuple(
                    Evidence(str(e["source"]), str(e["quote"])) for e in r.get("evidence", [])
                ),
                tags=tuple(str(t) for t in r.get("tags", [])),
                split=str(r.get("split", "test")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise GoldError(f"{path}:{n}: not a gold question ({exc})") from exc
        if q.id in seen:
            raise GoldError(f"{path}:{n}: duplicate id {q.id}")
        if q.answerable != bool(q.evidence):
            raise GoldError(f"{path}:{n}: answerable questions need evidence, others none")
        seen.add(q.id)
        out.append(q)
    return out


def select(gold: Sequence[GoldQuestion], split: str) -> list[GoldQuestion]:
    if split not in SPLITS:
        raise GoldError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    return [q for q in gold if split == "all" or q.split == split]


def gold_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


# ---------------------------------------------------------------- the corpus texts

Span = tuple[str, int, int]  # source, start, end


class Corpus:
    """The corpus files read fresh from disk: the ground truth for every check."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._texts: dict[str, str | None] = {}
        self._paras: dict[str, list[tuple[int, int, int]]] = {}

    def text(self, source: str) -> str | None:
        if source not in self._texts:
            path = self.folder / source
            self._texts[source] = decode(path) if path.is_file() else None
        return self._texts[source]

    def paragraphs_at(self, source: str, start: int, end: int) -> set[tuple[str, int]]:
        text = self.text(source)
        if text is None:
            return set()
        if source not in self._paras:
            self._paras[source] = [
                (p.number, p.start, p.end) for p in split_paragraphs(source, text)
            ]
        return {(source, n) for n, s, e in self._paras[source] if s < end and start < e}

    def evidence_spans(self, q: GoldQuestion) -> list[Span]:
        spans = []
        for ev in q.evidence:
            text = self.text(ev.source)
            at = text.find(ev.quote) if text is not None else -1
            if at < 0:
                raise GoldError(f"{q.id}: evidence quote not found in {ev.source}")
            spans.append((ev.source, at, at + len(ev.quote)))
        return spans
