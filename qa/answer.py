"""The answer composer: score the sentences of the retrieved passages, pick the minimal verbatim
answer, verify every citation against the file, or abstain and show the nearest passages.

Each candidate sentence gets a few features (dense similarity of sentence and passage, IDF-weighted
coverage of the question's terms, whether it holds the kind of thing the question asks for, the
passage's retrieval rank); a logistic model turns them into the probability that the sentence
answers. Its weights and the abstention threshold are fitted on the dev split of the gold set
(`qa tune`), never on the split that is reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.errors import CitationError
from qa.retrieval import Hit
from qa.store import StoredIndex
from qa.text import normalize, terms, words
from qa.types import Answer, Citation, Passage, Sentence

FEATURES = ("dense_sentence", "dense_passage", "lex_sentence", "lex_passage", "answer_type", "rank")


@dataclass(frozen=True)
class ComposerSettings:
    """Fitted by `qa tune` on the dev split; see eval/README.md."""

    weights: tuple[float, ...] = (7.0, 2.0, 3.0, 1.0, 1.0, 0.5)
    bias: float = -7.0
    threshold: float = 0.5  # abstain when the best sentence's probability is below this
    neighbour_ratio: float = 0.9  # an adjacent sentence joins the answer above this share
    passages: int = 8  # passages whose sentences are scored
    related: int = 3  # nearest passages shown when abstaining


# ---------------------------------------------------------------- answer types

_MONTHS = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_DAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred hundreds thousand thousands million millions billion billions dozen dozens half
    several""".split()
)
_TYPES = (
    (
        "number",
        re.compile(
            r"^(how (many|much|old|long|far|large|big)|what (number|percentage|"
            r"proportion|share|amount)|number of)\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"^(when|what (year|date|day|month|time)|which (year|date|day|month)|"
            r"since when|how long ago)\b"
        ),
    ),
    (
        "entity",
        re.compile(
            r"^(who|whom|whose|which (person|man|woman|group|groups|organi[sz]ation|"
            r"official|leader|faction|factions|party|country|agency|minister))\b"
        ),
    ),
    (
        "place",
        re.compile(
            r"^(where|which (city|town|village|country|province|region|area|place))"
            r"\b"
        ),
    ),
)


def question_type(question: str) -> str | None:
    q = normalize(question)
    q = re.sub(r"^(and|but|so|then|also|please|tell me|do you know)\s+", "", q)
    for name, pattern in _TYPES:
        if pattern.search(q):
            return name
    return None


def _has_type(kind: str, sentence: str, question: str) -> bool:
    """Does the sentence hold something of the asked kind that the question does not already?"""
    asked = set(words(question))
    toks = [w for w in words(sentence) if w not in asked]
    if kind == "number":
        return any(any(c.isdigit() for c in w) or w in _NUMBER_WORDS for w in toks)
    if kind == "date":
        return any(
            w in _MONTHS or w in _DAYS or re.fullmatch(r"1[5-9]\d\d|20\d\d", w) for w in toks
        )
    # entity / place: a capitalised word (not the sentence's first) the question lacks
    caps = re.findall(r"(?<=[\s(“\"'‘-])([A-Z][\w’'-]+)", sentence)
    return any(normalize(c) not in asked for c in caps)


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class Candidate:
    passage: Passage
    index: int  # position of the sentence in its passage
    sentence: Sentence
    features: tuple[float, ...]
    probability: float


def coverage(q_terms: Mapping[str, float], text_terms: set[str]) -> float:
    total = sum(q_terms.values())
    return sum(w for t, w in q_terms.items() if t in text_terms) / total if total else 0.0


class Composer:
    def __init__(
        self, store: StoredIndex, texts: Mapping[str, str], settings: ComposerSettings | None = None
    ) -> None:
        self.store = store
        self.texts = texts
        self.settings = settings or ComposerSettings()
        self._idf: Mapping[str, float] = store.idf
        self._default_idf = max(self._idf.values(), default=1.0)

    def candidates(self, question: str, vector: np.ndarray, hits: Sequence[Hit]) -> list[Candidate]:
        s = self.settings
        q_terms = {t: self._idf.get(t, self._default_idf) for t in set(terms(question))}
        kind = question_type(question)
        w = np.asarray(s.weights)
        out: list[Candidate] = []
        for rank, hit in enumerate(hits[: s.passages]):
            passage = self.store.passages[hit.passage]
            base = int(self.store.sentence_base[hit.passage])
            vecs = np.asarray(self.store.sentence_vectors[base : base + len(passage.sentences)])
            sims = vecs @ vector
            lex_p = coverage(q_terms, set(terms(passage.text)))
            for i, sent in enumerate(passage.sentences):
                typed = (
                    0.0 if kind is None else (1.0 if _has_type(kind, sent.text, question) else -1.0)
                )
                f = (
                    float(sims[i]),
                    hit.dense,
                    coverage(q_terms, set(terms(sent.text))),
                    lex_p,
                    typed,
                    1.0 / (1 + rank),
                )
                z = float(np.dot(w, f) + s.bias)
                out.append(Candidate(passage, i, sent, f, 1.0 / (1.0 + math.exp(-z))))
        out.sort(key=lambda c: (-c.probability, c.passage.id, c.index))
        return out

    def compose(
        self, question: str, vector: np.ndarray, hits: Sequence[Hit], index_version: str
    ) -> Answer:
        s = self.settings
        cands = self.candidates(question, vector, hits)
        best = cands[0] if cands else None
        confidence = best.probability if best else 0.0
        if best is not None and best.probability >= s.threshold:
            chosen = self._with_neighbours(best, cands)
            citations = [c for c in (self._cite(x.sentence) for x in chosen) if c is not None]
            if citations:
                return Answer(
                    question,
                    " ".join(c.quote for c in citations),
                    False,
                    confidence,
                    tuple(citations),
                    (),
                    index_version,
                )
        related = [self._cite_passage(self.store.passages[h.passage]) for h in hits[: s.related]]
        return Answer(
            question,
            "",
            True,
            confidence,
            (),
            tuple(c for c in related if c is not None),
            index_version,
        )

    def _with_neighbours(self, best: Candidate, cands: Sequence[Candidate]) -> list[Candidate]:
        s = self.settings
        floor = max(s.threshold, s.neighbour_ratio * best.probability)
        chosen = [best]
        for c in cands:
            if (
                c.passage.id == best.passage.id
                and abs(c.index - best.index) == 1
                and c.probability >= floor
            ):
                chosen.append(c)
        return sorted(chosen, key=lambda c: c.index)

    # ------------------------------------------------------------ citations

    def _verified(self, citation: Citation) -> Citation | None:
        try:
            verify(citation, self.texts)
        except CitationError:
            return None
        return citation

    def _cite(self, sent: Sentence) -> Citation | None:
        return self._verified(
            Citation(sent.source, sent.paragraph, sent.start, sent.end, sent.text, sent.also_in)
        )

    def _cite_passage(self, p: Passage) -> Citation | None:
        return self._verified(Citation(p.source, p.paragraph, p.start, p.end, p.text, p.also_in))


def verify(citation: Citation, texts: Mapping[str, str]) -> None:
    """The quote must be exactly the file's text at the cited offsets, and so must every copy."""
    text = texts.get(citation.source)
    if text is None or text[citation.start : citation.end] != citation.quote:
        raise CitationError(
            f"citation {citation.source}:{citation.start}-{citation.end} does not match the file"
        )
    for copy in citation.also_in:
        other = texts.get(copy.source)
        if other is None or normalize(other[copy.start : copy.end]) == "":
            raise CitationError(f"duplicate copy {copy.source}:{copy.start} is out of range")
