"""Gold sets, grounding invariants, quality metrics, threshold tuning and baselines.

Definitions are in eval/README.md; every metric here is computed without any model judge.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import statistics
import string
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from qa.answer import CONFIDENCE_FEATURES, FEATURES, FINAL_FEATURES, ComposerSettings
from qa.corpus import decode, split_paragraphs
from qa.errors import QAError
from qa.types import Answer, Evidence, GoldQuestion

SPLITS = ("dev", "test", "all")


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


# ---------------------------------------------------------------- matching


def squad_normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower().replace("’", "'").replace("“", '"').replace("”", '"')
    text = "".join(c for c in text if c not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def short_scores(predicted: str, answers: Sequence[str]) -> tuple[float, float]:
    """SQuAD exact match and token F1 of a short answer, best over the accepted answers."""

    def f1(a: str, b: str) -> float:
        pa, pb = squad_normalize(a).split(), squad_normalize(b).split()
        common = sum(min(pa.count(w), pb.count(w)) for w in set(pa))
        if not pa or not pb or not common:
            return float(pa == pb)
        precision, recall = common / len(pa), common / len(pb)
        return 2 * precision * recall / (precision + recall)

    em = max(float(squad_normalize(predicted) == squad_normalize(g)) for g in answers)
    return em, max(f1(predicted, g) for g in answers)


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


def _citation_spans(c: dict[str, Any]) -> list[Span]:
    return [(c["source"], c["start"], c["end"])] + [
        (d["source"], d["start"], d["end"]) for d in c.get("also_in", [])
    ]


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a[2], b[2]) - max(a[1], b[1])) if a[0] == b[0] else 0


# ---------------------------------------------------------------- per question


@dataclass(frozen=True)
class Result:
    id: str
    tags: tuple[str, ...]
    answerable: bool
    confidence: float
    would_be_correct: bool  # the top sentence, were it returned, cites gold evidence
    abstained: bool
    top_correct: bool
    contains: bool
    precision: float | None
    recall: float | None
    first_relevant: int | None  # 1-based rank of the first relevant passage (None: not in top 10)
    answer_chars: int
    invariant_failures: tuple[str, ...]
    # an answerable question abstained on: do the nearest passages shown hold its evidence?
    related_gold: bool | None = None
    short: bool = False  # answered with a short answer
    short_em: float | None = None  # its exact match / token F1, when the top citation is right
    short_f1: float | None = None

    @property
    def correct(self) -> bool:
        """The outcome the headline accuracy counts: right answer, or rightly abstained."""
        return self.top_correct if self.answerable else self.abstained


def check_invariants(answer: dict[str, Any], corpus: Corpus) -> list[str]:
    failures = []
    for c in [*answer["citations"], *answer["related"]]:
        text = corpus.text(c["source"])
        if text is None or text[c["start"] : c["end"]] != c["quote"]:
            failures.append(f"citation {c['source']}:{c['start']}-{c['end']} not verbatim")
    if answer["answer"] != " ".join(c["quote"] for c in answer["citations"]):
        failures.append("answer is not exactly the joined cited quotes")
    if not answer["abstained"] and not answer["citations"]:
        failures.append("answer without citations")
    if answer["abstained"] and (answer["answer"] or answer["citations"]):
        failures.append("abstention that still answers")
    if answer["related"] and not answer["abstained"]:
        failures.append("related passages on an answer")
    short = answer.get("short_answer")
    if short is not None:
        text = corpus.text(short["source"])
        first = answer["citations"][0] if answer["citations"] else None
        if text is None or text[short["start"] : short["end"]] != short["text"]:
            failures.append("short answer not verbatim")
        if first is None or not (
            first["source"] == short["source"]
            and first["start"] <= short["start"] < short["end"] <= first["end"]
        ):
            failures.append("short answer outside its cited sentence")
    return failures


def score_question(
    q: GoldQuestion,
    answer: Answer,
    probe: Answer,
    ranked: Sequence[set[tuple[str, int]]],
    corpus: Corpus,
) -> Result:
    """``answer`` is what the system returns; ``probe`` the same with abstention disabled."""
    a = answer.to_dict()
    failures = check_invariants(a, corpus)
    gold = corpus.evidence_spans(q)
    relevant = set().union(*(corpus.paragraphs_at(*s) for s in gold)) if gold else set()

    def cites_gold(citation: dict[str, Any]) -> bool:
        return any(_overlap(c, g) > 0 for c in _citation_spans(citation) for g in gold)

    probe_cits = probe.to_dict()["citations"]
    would = bool(gold and probe_cits and cites_gold(probe_cits[0]))
    top = bool(gold and a["citations"] and cites_gold(a["citations"][0]))
    contains = any(squad_normalize(x) in squad_normalize(a["answer"]) for x in q.answers)
    precision = recall = None
    if q.answerable and not a["abstained"]:
        cited = [_citation_spans(c) for c in a["citations"]]
        total = sum(c[0][2] - c[0][1] for c in cited)
        inside = sum(max(_overlap(s, g) for s in c for g in gold) for c in cited)
        precision = inside / total if total else 0.0
        recall = max(
            sum(max(_overlap(s, g) for s in c) for c in cited) / (g[2] - g[1]) for g in gold
        )
    first = next((i for i, keys in enumerate(ranked, start=1) if keys & relevant), None)
    related_gold = (
        any(cites_gold(c) for c in a["related"]) if q.answerable and a["abstained"] else None
    )
    short = a.get("short_answer")
    short_em = short_f1 = None
    if short is not None and top and q.answers:
        short_em, short_f1 = short_scores(short["text"], q.answers)
    return Result(
        q.id,
        q.tags,
        q.answerable,
        probe.confidence,
        would,
        a["abstained"],
        top,
        contains,
        precision,
        recall,
        first if q.answerable else None,
        len(a["answer"]),
        tuple(failures),
        related_gold,
        short is not None,
        short_em,
        short_f1,
    )


# ---------------------------------------------------------------- the run


def run(
    engine: Any, gold: Sequence[GoldQuestion], progress: Callable[[int], None] | None = None
) -> tuple[list[Result], bool]:
    """Score every question; returns the results and whether two runs were byte-identical."""
    corpus = Corpus(engine.corpus)
    real = engine.composer.settings
    results: list[Result] = []
    identical = True
    for lo in range(0, len(gold), 32):
        batch = gold[lo : lo + 32]
        questions = [q.question for q in batch]
        answers = engine.ask_many(questions)
        again = engine.ask_many(questions)
        identical &= all(
            json.dumps(x.to_dict()) == json.dumps(y.to_dict())
            for x, y in zip(answers, again, strict=True)
        )
        # the probe (abstention off) differs from the answer only where the system abstained
        declined = [q for q, a in zip(questions, answers, strict=True) if a.abstained]
        engine.composer.settings = replace(real, threshold=0.0)
        try:
            probed = iter(engine.ask_many(declined) if declined else [])
        finally:
            engine.composer.settings = real
        probes = [next(probed) if a.abstained else a for a in answers]
        for q, ans, probe in zip(batch, answers, probes, strict=True):
            ranked = [
                {(p.source, p.paragraph)} | {(s.source, s.paragraph) for s in p.also_in}
                for p in engine.search(q.question, 10)
            ]
            results.append(score_question(q, ans, probe, ranked, corpus))
        if progress:
            progress(len(batch))
    return results, identical


def _mean(xs: Iterable[float]) -> float | None:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else None


def metrics(results: Sequence[Result]) -> dict[str, float | None]:
    ans = [r for r in results if r.answerable]
    un = [r for r in results if not r.answerable]
    answered = [r for r in ans if not r.abstained]
    return {
        "questions": float(len(results)),
        "accuracy": _mean(float(r.correct) for r in results),
        "answer_containment": _mean(float(r.contains) for r in ans),
        "top_citation_correct": _mean(float(r.top_correct) for r in ans),
        "citation_precision": _mean(r.precision for r in answered if r.precision is not None),
        "citation_recall": _mean(r.recall for r in answered if r.recall is not None),
        "median_answer_chars": float(statistics.median([r.answer_chars for r in answered]))
        if answered
        else None,
        "abstention_recall": _mean(float(r.abstained) for r in un),
        "false_abstention": _mean(float(r.abstained) for r in ans),
        "related_recall": _mean(float(r.related_gold) for r in ans if r.related_gold is not None),
        "hit@1": _mean(float(r.first_relevant == 1) for r in ans),
        "recall@5": _mean(
            float(r.first_relevant is not None and r.first_relevant <= 5) for r in ans
        ),
        "mrr@10": _mean(1.0 / r.first_relevant if r.first_relevant else 0.0 for r in ans),
        "ndcg@10": _mean(
            1.0 / math.log2(r.first_relevant + 1) if r.first_relevant else 0.0 for r in ans
        ),
        "short_coverage": _mean(float(r.short) for r in answered),
        "short_em": _mean(r.short_em for r in answered if r.short_em is not None),
        "short_f1": _mean(r.short_f1 for r in answered if r.short_f1 is not None),
        "invariants": _mean(float(not r.invariant_failures) for r in results),
    }


QUALITY = (
    "accuracy",
    "answer_containment",
    "top_citation_correct",
    "citation_precision",
    "citation_recall",
    "abstention_recall",
    "hit@1",
    "recall@5",
    "mrr@10",
    "ndcg@10",
    "short_f1",
)


def bootstrap_halfwidth(
    results: Sequence[Result], rounds: int = 1000, seed: int = 13
) -> dict[str, float]:
    """Half-width of the 95% bootstrap interval of each quality metric (resampling questions)."""
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {k: [] for k in QUALITY}
    for _ in range(rounds):
        m = metrics([results[rng.randrange(len(results))] for _ in results])
        for k in QUALITY:
            if m[k] is not None:
                samples[k].append(float(m[k]))  # type: ignore[arg-type]
    out = {}
    for k, xs in samples.items():
        if xs:
            xs.sort()
            out[k] = (xs[int(0.975 * len(xs)) - 1] - xs[int(0.025 * len(xs))]) / 2
    return out


def by_tag(results: Sequence[Result]) -> dict[str, dict[str, float | None]]:
    tags = sorted({t for r in results for t in r.tags})
    return {t: metrics([r for r in results if t in r.tags]) for t in tags}


class Outcome(Protocol):
    """What a threshold decision needs of a question's result."""

    @property
    def answerable(self) -> bool: ...

    @property
    def would_be_correct(self) -> bool: ...

    @property
    def confidence(self) -> float: ...


def correct_at(o: Outcome, threshold: float) -> bool:
    """Right with this abstention threshold: answered rightly, or rightly abstained."""
    if o.answerable:
        return o.confidence >= threshold and o.would_be_correct
    return o.confidence < threshold


def sweep(*groups: Sequence[Outcome]) -> list[dict[str, float]]:
    """SQuAD 2.0-style: accuracy and abstention rate at every distinct threshold. With several
    groups (one per corpus), each counts equally: the figures are the groups' means, so a large
    gold set does not drown a small one."""
    points = []
    found = {r.confidence for g in groups for r in g}
    for t in sorted({0.0, *found, 1.01}):
        correct = [sum(correct_at(r, t) for r in g) / len(g) for g in groups if g]
        abstained = [sum(r.confidence < t for r in g) / len(g) for g in groups if g]
        points.append(
            {
                "threshold": t,
                "accuracy": sum(correct) / len(correct),
                "abstention": sum(abstained) / len(abstained),
            }
        )
    return points


def best_threshold(points: Sequence[dict[str, float]], lowest: bool = False) -> float:
    """The middle (or the lowest) of the thresholds with the best accuracy."""
    top = max(p["accuracy"] for p in points)
    best = [p["threshold"] for p in points if p["accuracy"] == top]
    return float(min(best) if lowest else statistics.median(best))


def plot(points: Sequence[dict[str, float]], current: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p["abstention"] for p in points], [p["accuracy"] for p in points], marker=".")
    here = min(points, key=lambda p: abs(p["threshold"] - current))
    ax.scatter(
        [here["abstention"]],
        [here["accuracy"]],
        color="red",
        zorder=3,
        label=f"threshold {current:.2f}",
    )
    ax.set_xlabel("share of questions abstained")
    ax.set_ylabel("accuracy (right answer or rightly abstained)")
    ax.set_title("Abstention threshold sweep")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------- tuning


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
    return float(any(_overlap(a, g) > 0 for a in spans for g in gold_spans))


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
    from qa.engine import check_question

    prepared = []
    for engine, gold in sets:
        corpus = Corpus(engine.corpus)
        for q in gold:
            text = check_question(q.question)
            vec = engine.encoder.encode([text])[0]
            hits = engine.retriever.search(text, vec, engine.composer.settings.passages)
            prepared.append(_Prepared(engine, q, text, vec, hits, corpus.evidence_spans(q)))
    return prepared


def auc(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    """The chance that a random positive scores above a random negative (ties count half)."""
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


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
        "top1": _mean(tops),
        "confidence_auc": _mean(aucs),
        "accuracy": _mean(x for xs in right.values() for x in xs),
        **{f"accuracy {name}": _mean(xs) for name, xs in sorted(right.items())},
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


def gold_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


# ---------------------------------------------------------------- reports and baselines

BASELINE = Path(__file__).resolve().parent.parent / "eval" / "baseline.json"


def report(
    engine: Any, gold_path: Path, split: str, progress: Callable[[int], None] | None = None
) -> tuple[dict[str, Any], list[Result]]:
    gold = select(load_gold(gold_path), split)
    if not gold:
        raise GoldError(f"no questions in the {split} split of {gold_path}")
    results, identical = run(engine, gold, progress)
    points = sweep(results)
    best = best_threshold(points)
    return {
        "gold": str(gold_path),
        "gold_sha256": gold_digest(gold_path),
        "split": split,
        "corpus": str(engine.corpus),
        "index_version": engine.index_version,
        "questions": len(results),
        "threshold": engine.composer.settings.threshold,
        "metrics": metrics(results),
        "halfwidth": bootstrap_halfwidth(results),
        "by_tag": by_tag(results),
        "invariants_ok": all(not r.invariant_failures for r in results),
        "invariant_failures": {
            r.id: list(r.invariant_failures) for r in results if r.invariant_failures
        },
        "deterministic": identical,
        "best_threshold": best,
        "best_accuracy": max(p["accuracy"] for p in points),
        "sweep": points,
        "failures": [r.id for r in results if not r.correct],
        "passing": [r.id for r in results if r.correct],
    }, results


def baseline_key(report: dict[str, Any]) -> str:
    return f"{Path(report['gold']).name}:{report['split']}"


def baseline_entry(report: dict[str, Any]) -> dict[str, Any]:
    keys = ("gold_sha256", "split", "questions", "threshold", "metrics", "halfwidth", "passing")
    return {k: report[k] for k in keys}


def read_baseline(report: dict[str, Any], path: Path = BASELINE) -> dict[str, Any] | None:
    """The committed baseline for this gold file and split, if it was made from the same file."""
    if not path.is_file():
        return None
    entry: dict[str, Any] | None = json.loads(path.read_text()).get(baseline_key(report))
    if entry is None or entry.get("gold_sha256") != report["gold_sha256"]:
        return None
    return entry


def write_baseline(report: dict[str, Any], path: Path = BASELINE) -> None:
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[baseline_key(report)] = baseline_entry(report)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def regressions(current: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Metrics that dropped by more than max(2 points, the bootstrap 95% half-width), each
    with the questions that newly fail."""
    out = []
    newly = sorted(set(baseline.get("passing", [])) - set(current["passing"]))
    for name in QUALITY:
        old, new = baseline["metrics"].get(name), current["metrics"].get(name)
        if old is None or new is None:
            continue
        allowed = max(0.02, baseline.get("halfwidth", {}).get(name, 0.0))
        if new < old - allowed:
            out.append(
                f"{name} {old:.3f} → {new:.3f} (allowed −{allowed:.3f}); newly failing: "
                f"{', '.join(newly) or 'none'}"
            )
    return out
