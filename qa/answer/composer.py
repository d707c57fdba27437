"""The answer composer: read the sentences of the retrieved passages with the reading model,
pick the minimal verbatim answer and its short answer, verify every citation against the file,
or abstain and show the nearest passages.

Three steps per question:

1. *Preselect.* Every sentence of the top passages gets a few cheap features (its cosine with
   the question, the IDF-weighted share of the question's terms in it and around it, its
   passage's rank; the question-side ones in `qa.answer.features`); a linear score keeps the best
   ``pool`` of them.
2. *Read.* The reading model (`qa.answer.reader`) reads the question with each pooled sentence in
one
   batched call: the probability that the sentence answers, the short-answer span inside it,
   and how far that span's score clears the span head's "no answer here".
3. *Decide.* The sentence with the best combined score (reader logit, null margin and
   preselection score) is the answer; a logistic confidence model over the reader's view of the
   best sentence and its rivals decides whether to answer at all; the short answer is kept when
   its span probability clears its own threshold.

All weights and thresholds are fitted by `qa tune` on the dev splits, never on a reported split.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.answer.features import coverage, has_type, question_names, question_type
from qa.answer.reader import Reading
from qa.answer.retrieval import Hit
from qa.answer.settings import (
    CONFIDENCE_FEATURES,
    FEATURES,
    MARGIN_CAP,
    SHORT_WORDS,
    ComposerSettings,
)
from qa.core.errors import CitationError
from qa.core.text import normalize, terms, words
from qa.core.types import Answer, Citation, Passage, Sentence, ShortAnswer
from qa.index.store import StoredIndex
from qa.ingest.formats import format_of, text_fragment_link


def null_feature(r: Reading) -> float:
    """The span head's best span against its "no answer here", capped and scaled."""
    return float(np.clip(r.null_margin / 10.0, -2.0, 2.0))


class ReaderModel(Protocol):
    """What the composer needs of a reading model (qa.answer.reader.Reader; a fake in tests)."""

    def read(self, question: str, sentences: Sequence[str]) -> list[Reading]: ...


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class Candidate:
    passage: Passage
    index: int  # position of the sentence in its passage
    sentence: Sentence
    features: tuple[float, ...]  # FEATURES
    preselect: float  # the preselection score
    reading: Reading | None = None  # set for the pooled sentences
    final: tuple[float, ...] = ()  # FINAL_FEATURES, once read
    score: float = -math.inf  # the final score, once read


class Composer:
    def __init__(
        self,
        store: StoredIndex,
        texts: Mapping[str, str],
        reader: ReaderModel,
        settings: ComposerSettings | None = None,
        locate: Callable[[str, int], tuple[int | None, tuple[str, ...]]] | None = None,
    ) -> None:
        self.store = store
        self.texts = texts
        self.reader = reader
        self.settings = settings or ComposerSettings()
        self._locate = locate  # page and heading path of a paragraph in the original
        self._idf: Mapping[str, float] = store.idf
        self._default_idf = max(self._idf.values(), default=1.0)
        self._file_terms = lru_cache(maxsize=1024)(self._terms_of_file)
        self._analysed = lru_cache(maxsize=8192)(self._analyse)

    def _analyse(self, passage: int) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:
        """The terms and the words of each sentence of a passage (kept for the next question)."""
        return tuple(
            (frozenset(terms(x.text)), tuple(words(x.text)))
            for x in self.store.passages[passage].sentences
        )

    def _terms_of_file(self, source: str) -> frozenset[str]:
        """The terms of a whole file and of its name (titles often live there)."""
        text = self.texts.get(source) or ""
        return frozenset(terms(text)) | frozenset(terms(Path(source).stem))

    def preselected(
        self, question: str, vector: np.ndarray, hits: Sequence[Hit]
    ) -> list[Candidate]:
        """Every sentence of the top passages with its cheap features, best preselection
        score first."""
        s = self.settings
        q_terms = {t: self._idf.get(t, self._default_idf) for t in set(terms(question))}
        key = max(q_terms.values(), default=1.0)
        names = question_names(question)
        kind = question_type(question)
        asked = set(words(question))
        w = np.asarray(s.weights)
        rows: list[tuple[Passage, int, Sentence, list[float]]] = []
        for rank, hit in enumerate(hits[: s.passages]):
            passage = self.store.passages[hit.passage]
            base = int(self.store.sentence_base[hit.passage])
            vecs = np.asarray(self.store.sentence_vectors[base : base + len(passage.sentences)])
            sims = vecs @ vector
            analysed = self._analysed(hit.passage)
            sent_terms = [t for t, _ in analysed]
            lex_p = coverage(q_terms, frozenset().union(*sent_terms))
            for i, sent in enumerate(passage.sentences):
                context = frozenset().union(*sent_terms[max(0, i - 1) : i + 2])
                missing = max((v for t, v in q_terms.items() if t not in context), default=0.0)
                typed = kind is not None and has_type(kind, sent.text, analysed[i][1], asked)
                f = [
                    float(sims[i]),
                    hit.dense,
                    0.0,  # dense_best, filled in below
                    coverage(q_terms, sent_terms[i]),
                    coverage(q_terms, context),
                    lex_p,
                    missing / key if key else 0.0,
                    len(names - context) / len(names) if names else 0.0,
                    len(names - sent_terms[i]) / len(names) if names else 0.0,
                    float(typed),
                    float(kind is not None and not typed),
                    1.0 / (1 + rank),
                    float(len(analysed[i][1]) < SHORT_WORDS),
                    len(names - self._file_terms(sent.source)) / len(names) if names else 0.0,
                ]
                rows.append((passage, i, sent, f))
        top = max((f[0] for *_, f in rows), default=0.0)
        out: list[Candidate] = []
        for passage, i, sent, f in rows:
            f[2] = f[0] - top
            out.append(Candidate(passage, i, sent, tuple(f), float(np.dot(w, f))))
        out.sort(key=lambda c: (-c.preselect, c.passage.id, c.index))
        return out

    def candidates(self, question: str, vector: np.ndarray, hits: Sequence[Hit]) -> list[Candidate]:
        """The pooled sentences, read by the reading model in one batch, best final score
        first."""
        s = self.settings
        pool = self.preselected(question, vector, hits)[: s.pool]
        if not pool:
            return []
        readings = self.reader.read(question, [c.sentence.text for c in pool])
        top = pool[0].preselect
        w = np.asarray(s.final_weights)
        out = []
        for c, r in zip(pool, readings, strict=True):
            final = (r.logit, c.preselect - top, null_feature(r))
            out.append(replace(c, reading=r, final=final, score=float(np.dot(w, final))))
        out.sort(key=lambda c: (-c.score, c.passage.id, c.index))
        return out

    def compose(
        self, question: str, vector: np.ndarray, hits: Sequence[Hit], index_version: str
    ) -> Answer:
        s = self.settings
        cands = self.candidates(question, vector, hits)
        best = cands[0] if cands else None
        confidence = self.confidence(cands, question)
        if best is not None and confidence >= s.threshold:
            chosen = self._with_neighbours(best, cands)
            citations = [c for c in (self._cite(x.sentence) for x in chosen) if c is not None]
            if citations and citations[0].start == best.sentence.start:
                return Answer(
                    question,
                    " ".join(c.quote for c in citations),
                    False,
                    confidence,
                    tuple(citations),
                    (),
                    index_version,
                    short_answer=self.short_answer(best, citations[0]),
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

    def confidence_features(self, cands: Sequence[Candidate], question: str) -> list[float]:
        """CONFIDENCE_FEATURES of the best candidate, by name."""
        best = cands[0] if cands else None
        if best is None or best.reading is None:
            return [0.0] * len(CONFIDENCE_FEATURES)
        scores = np.asarray([c.score for c in cands])
        runner_up = cands[1].score if len(cands) > 1 else best.score - MARGIN_CAP
        names = question_names(question)
        unknown = [n for n in names if n not in self._idf]
        named = dict(zip(FEATURES, best.features, strict=True))
        named.update(
            {
                "reader": best.reading.logit,
                "share": float(1.0 / np.exp(scores - best.score).sum()),
                "margin": min(best.score - runner_up, MARGIN_CAP) / MARGIN_CAP,
                "unknown_names": len(unknown) / len(names) if names else 0.0,
                "typed": float(question_type(question) is not None),
                "null": null_feature(best.reading),
                "null_pool": max(null_feature(c.reading) for c in cands if c.reading),
            }
        )
        return [named[n] for n in CONFIDENCE_FEATURES]

    def confidence(self, cands: Sequence[Candidate], question: str) -> float:
        if not cands:
            return 0.0
        s = self.settings
        z = float(np.dot(s.confidence_weights, self.confidence_features(cands, question)))
        return 1.0 / (1.0 + math.exp(-(z + s.confidence_bias)))

    def _with_neighbours(self, best: Candidate, cands: Sequence[Candidate]) -> list[Candidate]:
        s = self.settings
        chosen = [best]
        for c in cands:
            if (
                c.passage.id == best.passage.id
                and abs(c.index - best.index) == 1
                and c.score >= best.score - s.neighbour_gap
            ):
                chosen.append(c)
        return [best, *sorted(chosen[1:], key=lambda c: c.index)]

    def short_answer(self, best: Candidate, citation: Citation) -> ShortAnswer | None:
        """The reader's span inside the best sentence, verified against the file; None when its
        probability is below the fitted threshold or it is the whole sentence."""
        r = best.reading
        if r is None or r.span is None or r.span_probability < self.settings.span_threshold:
            return None
        sent = best.sentence
        lo, hi = r.span
        text = sent.text[lo:hi]
        if not text.strip() or normalize(text) == normalize(sent.text).rstrip(".!?;:"):
            return None
        short = ShortAnswer(text, sent.source, sent.start + lo, sent.start + hi)
        file_text = self.texts.get(short.source)
        inside = citation.start <= short.start < short.end <= citation.end
        if file_text is None or file_text[short.start : short.end] != text or not inside:
            return None
        return short

    # ------------------------------------------------------------ citations

    def _verified(self, citation: Citation) -> Citation | None:
        try:
            verify(citation, self.texts)
        except CitationError:
            return None
        return self._located(citation)

    def _located(self, citation: Citation) -> Citation:
        """Where a person finds the quote in the original: the PDF page, the heading path, a
        text-fragment link for HTML."""
        if self._locate is None:
            return citation
        page, headings = self._locate(citation.source, citation.paragraph)
        link = None
        if format_of(citation.source) == "html":
            link = text_fragment_link(citation.source, citation.quote)
        if page is None and not headings and link is None:
            return citation
        return replace(citation, page=page, headings=headings, link=link)

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
