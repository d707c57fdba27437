"""The answer composer: read the sentences of the retrieved passages with the reading model,
pick the minimal verbatim answer and its short answer, verify every citation against the file,
or abstain and show the nearest passages.

Three steps per question:

1. *Preselect.* Every sentence of the top passages gets a few cheap features (its cosine with
   the question, the IDF-weighted share of the question's terms in it and around it, its
   passage's rank; the question-side ones in `qa.features`); a linear score keeps the best
   ``pool`` of them.
2. *Read.* The reading model (`qa.reader`) reads the question with each pooled sentence in one
   batched call: the probability that the sentence answers, the short-answer span inside it,
   and how far that span's score clears the span head's "no answer here".
3. *Decide.* The sentence with the best combined score (reader logit, null margin and
   preselection score) is the answer; a logistic confidence model over the reader's view of the
   best sentence and its rivals decides whether to answer at all; the short answer is kept when
   its span probability clears its own threshold.

All weights and thresholds are fitted by `qa tune` on the dev splits, never on a reported split.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.errors import CitationError, ModelError
from qa.features import coverage, has_type, question_names, question_type
from qa.formats import format_of, text_fragment_link
from qa.reader import Reading
from qa.retrieval import Hit
from qa.store import StoredIndex
from qa.text import normalize, terms, words
from qa.types import Answer, Citation, Passage, Sentence, ShortAnswer

TUNED = Path(__file__).resolve().parent / "tuned.json"
FEATURES = (  # cheap, for every sentence of the top passages: the preselection model
    "dense_sentence",  # cosine of question and sentence
    "dense_passage",  # cosine of question and the sentence's passage
    "dense_best",  # the sentence's cosine minus the best among all candidates
    "lex_sentence",  # IDF-weighted share of the question's terms found in the sentence
    "lex_context",  # … in the sentence and its neighbours
    "lex_passage",  # … in the passage
    "missing_key",  # rarest question term missing from the sentence and its neighbours
    "entity_missing",  # share of the question's names missing from the sentence and neighbours
    "entity_absent",  # share of the question's names missing from the sentence itself
    "type_match",  # the question asks for a kind of thing (who/when/how many…) the sentence has
    "type_miss",  # … and the sentence has none
    "rank",  # 1 / (1 + the passage's retrieval rank)
    "short",  # the sentence has fewer than SHORT_WORDS words (a heading, a label, a fragment)
    "doc_missing",  # share of the question's names found nowhere in the sentence's file
)
SHORT_WORDS = 8
FINAL_FEATURES = (  # for the pooled sentences, once read: which one answers
    "reader",  # the reading model's logit that the sentence answers
    "preselect",  # the preselection score minus the pool's best
    "null",  # the span head's best span against its "no answer here" ([CLS]) span
)
CONFIDENCE_FEATURES = (  # of the best sentence: is it right at all?
    "reader",  # its reader logit
    "share",  # its share of the softmax over the pool's final scores
    "margin",  # its final score minus the runner-up's (capped at MARGIN_CAP)
    "unknown_names",  # share of the question's names found nowhere in the corpus
    "dense_sentence",
    "lex_context",
    "missing_key",
    "entity_missing",
    "type_miss",
    "typed",  # the question asks for a kind of thing at all
    "doc_missing",
    "null",
    "null_pool",  # the pool's highest "null"
)
MARGIN_CAP = 5.0


def null_feature(r: Reading) -> float:
    """The span head's best span against its "no answer here", capped and scaled."""
    return float(np.clip(r.null_margin / 10.0, -2.0, 2.0))


class ReaderModel(Protocol):
    """What the composer needs of a reading model (qa.reader.Reader; a fake in tests)."""

    def read(self, question: str, sentences: Sequence[str]) -> list[Reading]: ...


@dataclass(frozen=True)
class ComposerSettings:
    """Fitted by `qa tune` on the dev splits; see eval/README.md."""

    weights: tuple[float, ...] = (
        6.0,
        1.0,
        2.0,
        3.0,
        1.0,
        0.5,
        -2.0,
        -2.0,
        -1.0,
        0.5,
        -1.0,
        0.5,
        -1.0,
        -1.0,
    )
    final_weights: tuple[float, ...] = (1.0, 0.0, 0.0)  # over FINAL_FEATURES
    confidence_weights: tuple[float, ...] = (1.0,) + (0.0,) * 12
    confidence_bias: float = 0.0
    threshold: float = 0.5  # abstain when the confidence is below this
    span_threshold: float = 0.3  # no short answer below this span probability
    neighbour_gap: float = 0.5  # an adjacent sentence joins when its score is this close
    passages: int = 8  # passages whose sentences are preselected
    pool: int = 4  # sentences the reader reads (the accuracy-latency curve: docs/reader.md)
    related: int = 3  # nearest passages shown when abstaining

    @classmethod
    def tuned(cls, path: Path = TUNED, fallback: bool = True) -> ComposerSettings:
        """The settings fitted by `qa tune` (qa/tuned.json); the defaults when that file is
        missing or was fitted for another feature set (after a change to the features, until
        `qa tune` refits) — unless ``fallback`` is off (a file the user named), when those are
        errors too. A damaged file is a ModelError, never a traceback or a silent default."""
        remedy = "refit it with `qa tune`"
        if path == TUNED:
            remedy += " or restore it with `git checkout -- qa/tuned.json`"
        if not path.is_file():
            if fallback:
                return cls()
            raise ModelError(f"no settings file at {path}")
        try:
            saved: dict[str, Any] = json.loads(path.read_text())
            fitted = saved.get("fitted_on", {})
            if (
                fitted.get("sentence_features") != list(FEATURES)
                or fitted.get("final_features") != list(FINAL_FEATURES)
                or fitted.get("confidence_features") != list(CONFIDENCE_FEATURES)
            ):
                if fallback:
                    return cls()
                raise ModelError(f"{path} was fitted for another feature set: {remedy}")
            fields: dict[str, Any] = {
                k: tuple(v) if isinstance(v, list) else v for k, v in saved["settings"].items()
            }
            return cls(**fields)
        except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
            raise ModelError(
                f"{path} is not a settings file written by `qa tune` ({exc}): {remedy}"
            ) from None

    def save(self, path: Path, fitted_on: Mapping[str, Any]) -> None:
        """Write what `tuned` reads: beside ``path``, then renamed over it in one step, so an
        interrupted fit leaves the old file whole."""
        partial = path.with_name(f".{path.name}.partial")
        payload = {"settings": asdict(self), "fitted_on": dict(fitted_on)}
        try:
            partial.write_text(json.dumps(payload, indent=1) + "\n")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


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
