"""Tuning: the composer's models and thresholds fitted on dev questions, and the
cross-validation that judges that fitting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from qa.answer.settings import CONFIDENCE_FEATURES, FEATURES, FINAL_FEATURES, ComposerSettings
from qa.core.types import GoldQuestion
from qa.evaluate.evaluation import run
from qa.evaluate.gold import Corpus, Span
from qa.evaluate.metrics import (
    Result,
    auc,
    best_threshold,
    correct_at,
    mean_or_none,
    metrics,
    overlap,
    short_scores,
    sweep,
)


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (few features, exact)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb.T * (p * (1 - p))) @ xb + reg
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def _label(c: Any, gold_spans: Sequence[Span]) -> float:
    s = c.sentence
    spans = [(s.source, s.start, s.end)] + [(d.source, d.start, d.end) for d in s.also_in]
    return float(any(overlap(a, g) > 0 for a in spans for g in gold_spans))


def _fit_listwise(
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
    l2: float = 0.001,
    steps: int = 3000,
    rate: float = 0.05,
) -> np.ndarray:
    """Conditional logit: per question, a softmax over its candidates, maximising the
    probability of the sentences that cite gold evidence (Adam on the mean log-likelihood).
    The groups are padded into one array, so each step is a few vector operations."""
    dim = groups[0][0].shape[1]
    width = max(len(y) for _, y in groups)
    x = np.zeros((len(groups), width, dim))
    y = np.zeros((len(groups), width))
    real = np.zeros((len(groups), width), dtype=bool)
    for g, (gx, gy) in enumerate(groups):
        x[g, : len(gy)] = gx
        y[g, : len(gy)] = gy
        real[g, : len(gy)] = True
    w = np.zeros(dim)
    m = np.zeros(dim)
    v = np.zeros(dim)
    for step in range(1, steps + 1):
        z = np.where(real, x @ w, -np.inf)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        q = p * y
        q /= q.sum(axis=1, keepdims=True)
        grad = l2 * w - np.einsum("gn,gnd->d", q - p, x) / len(groups)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


def _masked(names: Sequence[str], without: AbstractSet[str]) -> np.ndarray:
    return np.asarray([n not in without for n in names])


def _fit_listwise_masked(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], names: Sequence[str], without: AbstractSet[str]
) -> tuple[float, ...]:
    """Listwise weights over the features not in ``without`` (those get 0)."""
    keep = _masked(names, without)
    w = np.zeros(len(names))
    usable = [(x[:, keep], y) for x, y in groups if y.any()]
    if usable and keep.any():
        w[keep] = _fit_listwise(usable)
    return tuple(round(float(v), 4) for v in w)


class _CachedReader:
    """The engine's reader with its readings kept, so fitting reads each pair once."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.seen: dict[tuple[str, str], Any] = {}

    def read(self, question: str, sentences: Sequence[str]) -> list[Any]:
        todo = [s for s in dict.fromkeys(sentences) if (question, s) not in self.seen]
        for s, r in zip(todo, self.reader.read(question, todo) if todo else [], strict=True):
            self.seen[(question, s)] = r
        return [self.seen[(question, s)] for s in sentences]


class _Prepared(NamedTuple):
    engine: Any
    question: GoldQuestion
    text: str
    vector: np.ndarray
    hits: list[Any]
    spans: list[Span]


def _prepare(sets: Sequence[tuple[Any, Sequence[GoldQuestion]]]) -> list[_Prepared]:
    """Every question with its checked text, vector, hits and gold spans."""
    from qa.answer.engine import check_question

    prepared = []
    for engine, gold in sets:
        corpus = Corpus(engine.corpus)
        for q in gold:
            text = check_question(q.question)
            vec = engine.encoder.encode([text])[0]
            hits = engine.retriever.search(text, vec, engine.composer.settings.passages)
            prepared.append(_Prepared(engine, q, text, vec, hits, corpus.evidence_spans(q)))
    return prepared


def _preselect_groups(prepared: Sequence[_Prepared]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each question's preselection features and gold labels, over every sentence of its top
    passages (the features do not depend on any weight)."""
    return _groups(prepared, "preselected", lambda c: c.features)


def _final_groups(prepared: Sequence[_Prepared]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each question's pooled, read candidates: FINAL_FEATURES and gold labels."""
    return _groups(prepared, "candidates", lambda c: c.final)


def _groups(
    prepared: Sequence[_Prepared], step: str, values: Callable[[Any], Sequence[float]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    groups = []
    for p in prepared:
        cands = getattr(p.engine.composer, step)(p.text, p.vector, p.hits)
        if cands:
            groups.append(
                (
                    np.asarray([values(c) for c in cands]),
                    np.asarray([_label(c, p.spans) for c in cands]),
                )
            )
    return groups


class _Ranked(NamedTuple):
    """A question's candidates under the engines' current weights."""

    engine: Any
    cands: list[Any]
    text: str
    answerable: bool
    would_be_correct: bool  # the best candidate cites gold


def _ranked(prepared: Sequence[_Prepared]) -> list[_Ranked]:
    out = []
    for p in prepared:
        cands = p.engine.composer.candidates(p.text, p.vector, p.hits)
        right = bool(cands) and p.question.answerable and _label(cands[0], p.spans) > 0
        out.append(_Ranked(p.engine, cands, p.text, p.question.answerable, right))
    return out


def _fit_confidence(
    ranked: Sequence[_Ranked], without: AbstractSet[str]
) -> tuple[tuple[float, ...], float]:
    """The confidence model: is the best candidate right? Over the CONFIDENCE_FEATURES not in
    ``without``."""
    keep = _masked(CONFIDENCE_FEATURES, without)
    rows = np.asarray([r.engine.composer.confidence_features(r.cands, r.text) for r in ranked])
    w = np.zeros(len(CONFIDENCE_FEATURES))
    fitted, bias = _fit_logistic(
        rows[:, keep], np.asarray([float(r.would_be_correct) for r in ranked])
    )
    w[keep] = fitted
    return tuple(round(float(v), 4) for v in w), round(bias, 4)


class _Scored(NamedTuple):
    answerable: bool
    would_be_correct: bool
    confidence: float


def _scored(ranked: Sequence[_Ranked]) -> list[_Scored]:
    return [
        _Scored(r.answerable, r.would_be_correct, r.engine.composer.confidence(r.cands, r.text))
        for r in ranked
    ]


def _fit(
    prepared: Sequence[_Prepared],
    engines: Sequence[Any],
    base: ComposerSettings,
    without: AbstractSet[str],
) -> ComposerSettings:
    """Preselection weights, final weights, confidence model and threshold (the lowest with
    the best accuracy) fitted on ``prepared``; the engines are left with the result."""
    settings = replace(
        base, weights=_fit_listwise_masked(_preselect_groups(prepared), FEATURES, without)
    )
    _set(engines, settings)
    finals = _fit_listwise_masked(_final_groups(prepared), FINAL_FEATURES, without)
    settings = replace(settings, final_weights=finals)
    _set(engines, settings)
    ranked = _ranked(prepared)
    cw, cb = _fit_confidence(ranked, without)
    settings = replace(settings, confidence_weights=cw, confidence_bias=cb)
    _set(engines, settings)
    by_corpus: dict[int, list[_Scored]] = {}
    for r, o in zip(ranked, _scored(ranked), strict=True):
        by_corpus.setdefault(id(r.engine), []).append(o)
    threshold = best_threshold(sweep(*by_corpus.values()), lowest=True)
    settings = replace(settings, threshold=round(threshold, 4))
    _set(engines, settings)
    return settings


def _set(engines: Sequence[Any], settings: ComposerSettings) -> None:
    for engine in engines:
        engine.composer.settings = settings


class _Fitting:
    """Engines set up for fitting (readings cached); restores their settings and readers."""

    def __init__(self, engines: Sequence[Any]) -> None:
        self.engines = list(engines)
        self.settings = self.engines[0].composer.settings
        self.readers = [e.composer.reader for e in self.engines]

    def __enter__(self) -> _Fitting:
        for e in self.engines:
            e.composer.reader = _CachedReader(e.composer.reader)
        return self

    def __exit__(self, *exc: object) -> None:
        for e, r in zip(self.engines, self.readers, strict=True):
            e.composer.reader = r
            e.composer.settings = self.settings


def cross_validate(
    sets: Sequence[tuple[Any, Sequence[GoldQuestion]]],
    folds: int = 5,
    repeats: int = 3,
    without: AbstractSet[str] = frozenset(),
) -> dict[str, float | None]:
    """Held-out quality of the composer's fitting procedure: ``repeats`` × ``folds``-fold
    cross-validation over the given (dev) questions. Each fold fits the preselection, final
    and confidence models and the threshold on the other folds, and scores the held-out
    questions: top-1 (the best sentence cites gold, answerable questions), confidence AUC
    (right answers against unanswerable questions) and accuracy. ``without`` names features
    left out of every model (an ablation). In-sample dev figures overstate these; judge
    changes to features or fitting here."""
    engines = list({id(e): e for e, _ in sets}.values())
    tops: list[float] = []
    right: dict[str, list[float]] = {}  # per corpus
    aucs: list[float] = []
    with _Fitting(engines) as fitting:
        prepared = _prepare(sets)
        for repeat in range(repeats):
            order = np.random.default_rng(repeat).permutation(len(prepared))
            for part in np.array_split(order, folds):
                held = set(part.tolist())
                train = [prepared[i] for i in range(len(prepared)) if i not in held]
                settings = _fit(train, engines, fitting.settings, without)
                tested = [prepared[i] for i in sorted(held)]
                out = _scored(_ranked(tested))
                tops += [float(o.would_be_correct) for o in out if o.answerable]
                for p, o in zip(tested, out, strict=True):
                    right.setdefault(Path(p.engine.corpus).name, []).append(
                        float(correct_at(o, settings.threshold))
                    )
                fold_auc = auc(
                    [o.confidence for o in out if o.would_be_correct],
                    [o.confidence for o in out if not o.answerable],
                )
                if fold_auc is not None:
                    aucs.append(fold_auc)
    return {
        "questions": float(len(prepared)),
        "top1": mean_or_none(tops),
        "confidence_auc": mean_or_none(aucs),
        "accuracy": mean_or_none(x for xs in right.values() for x in xs),
        **{f"accuracy {name}": mean_or_none(xs) for name, xs in sorted(right.items())},
    }


def _span_threshold(prepared: Sequence[_Prepared], threshold: float, cost: float = 0.5) -> float:
    """The short-answer threshold: the span probability above which short answers gain most,
    a short answer's gain being its token F1 minus ``cost`` (a wrong short answer is worse than
    none) where the answer's sentence is right and 0 otherwise. As for the answer threshold,
    the gain is the mean over the corpora of each one's gain per answered question, so the
    large held-out set does not drown the small ones."""
    points: dict[int, list[tuple[float, float]]] = {}
    answered: dict[int, int] = {}
    for p, r in zip(prepared, _ranked(prepared), strict=True):
        best = r.cands[0] if r.cands else None
        reading = best.reading if best is not None else None
        if (
            best is None
            or reading is None
            or not p.question.answers
            or r.engine.composer.confidence(r.cands, r.text) < threshold
        ):
            continue
        corpus = id(r.engine)
        answered[corpus] = answered.get(corpus, 0) + 1
        if reading.span is None or not r.would_be_correct:
            continue
        text = best.sentence.text[reading.span[0] : reading.span[1]]
        gain = short_scores(text, p.question.answers)[1] - cost
        points.setdefault(corpus, []).append((reading.span_probability, gain))
    weighted = sorted(
        (prob, gain / answered[corpus] / len(answered))
        for corpus, pts in points.items()
        for prob, gain in pts
    )
    best_t, total, top = 1.0, 0.0, 0.0
    for prob, g in reversed(weighted):
        total += g
        if total > top:
            top, best_t = total, prob
    return round(best_t, 4)


def tune(
    sets: Sequence[tuple[Any, Sequence[GoldQuestion]]],
) -> tuple[ComposerSettings, dict[str, Any]]:
    """Fit the composer on (engine, dev questions) pairs — one per corpus: the preselection
    weights, the final weights, the confidence model and the threshold, then the neighbour gap
    with the best pooled accuracy and the short-answer threshold."""
    engines = list({id(e): e for e, _ in sets}.values())
    with _Fitting(engines) as fitting:
        prepared = _prepare(sets)
        settings = _fit(prepared, engines, fitting.settings, frozenset())

        def per_corpus() -> list[list[Result]]:
            return [run(engine, gold)[0] for engine, gold in sets]

        best: tuple[float, float, float] | None = None
        for gap in (0.0, 0.5, 1.0):
            _set(engines, replace(settings, neighbour_gap=gap, threshold=0.0))
            threshold = best_threshold(sweep(*per_corpus()))
            _set(engines, replace(settings, neighbour_gap=gap, threshold=threshold))
            each = [metrics(results) for results in per_corpus()]
            score = sum(
                (m["accuracy"] or 0.0) + 0.1 * (m["citation_precision"] or 0.0) for m in each
            ) / len(each)
            if best is None or score > best[0]:
                best = (score, gap, threshold)
        assert best is not None
        settings = replace(settings, neighbour_gap=best[1], threshold=round(best[2], 4))
        _set(engines, settings)
        settings = replace(settings, span_threshold=_span_threshold(prepared, settings.threshold))
    info = {
        "sentence_features": list(FEATURES),
        "final_features": list(FINAL_FEATURES),
        "confidence_features": list(CONFIDENCE_FEATURES),
        "questions": len(prepared),
        "dev_score": round(best[0], 4),
    }
    return settings, info
