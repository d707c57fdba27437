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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from qa.answer import CONFIDENCE_FEATURES, FEATURES, ComposerSettings
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
        engine.composer.settings = replace(real, threshold=0.0)
        try:
            probes = engine.ask_many(questions)
        finally:
            engine.composer.settings = real
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


def sweep(results: Sequence[Outcome]) -> list[dict[str, float]]:
    """SQuAD 2.0-style: accuracy and abstention rate at every distinct threshold."""
    points = []
    for t in sorted({0.0, *(r.confidence for r in results), 1.01}):
        correct = sum(correct_at(r, t) for r in results)
        abstained = sum(r.confidence < t for r in results)
        points.append(
            {
                "threshold": t,
                "accuracy": correct / len(results),
                "abstention": abstained / len(results),
            }
        )
    return points


def best_threshold(points: Sequence[dict[str, float]]) -> float:
    """The middle of the widest run of thresholds with the best accuracy."""
    top = max(p["accuracy"] for p in points)
    best = [p["threshold"] for p in points if p["accuracy"] == top]
    return float(statistics.median(best))


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
    probability of the sentences that cite gold evidence (Adam on the mean log-likelihood)."""
    dim = groups[0][0].shape[1]
    w = np.zeros(dim)
    m = np.zeros(dim)
    v = np.zeros(dim)
    for step in range(1, steps + 1):
        grad = l2 * w
        for x, y in groups:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = p * y / (p * y).sum()
            grad -= (x.T @ (q - p)) / len(groups)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


def _set(engines: Sequence[Any], settings: ComposerSettings) -> None:
    for engine in engines:
        engine.composer.settings = settings


def _prepare(sets: Sequence[tuple[Any, Sequence[GoldQuestion]]]) -> list[tuple[Any, ...]]:
    """(engine, question, checked text, vector, hits, gold spans) for every question."""
    from qa.engine import check_question

    prepared = []
    for engine, gold in sets:
        corpus = Corpus(engine.corpus)
        for q in gold:
            text = check_question(q.question)
            vec = engine.encoder.encode([text])[0]
            hits = engine.retriever.search(text, vec, engine.composer.settings.passages)
            prepared.append((engine, q, text, vec, hits, corpus.evidence_spans(q)))
    return prepared


def _auc(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _sentence_groups(prepared: Sequence[tuple[Any, ...]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each question's candidate features and gold labels, the sentence model's training data
    (the features do not depend on the weights, only the candidates' order does)."""
    groups = []
    for engine, _q, text, vec, hits, spans in prepared:
        cands = engine.composer.candidates(text, vec, hits)
        groups.append(
            (np.asarray([c.features for c in cands]), np.asarray([_label(c, spans) for c in cands]))
        )
    return groups


class _Ranked(NamedTuple):
    """A question's candidates under the engines' current weights."""

    engine: Any
    cands: list[Any]
    text: str
    answerable: bool
    would_be_correct: bool  # the best candidate cites gold


def _ranked(prepared: Sequence[tuple[Any, ...]]) -> list[_Ranked]:
    out = []
    for engine, q, text, vec, hits, spans in prepared:
        cands = engine.composer.candidates(text, vec, hits)
        right = bool(cands) and q.answerable and _label(cands[0], spans) > 0
        out.append(_Ranked(engine, cands, text, q.answerable, right))
    return out


def _fit_confidence(ranked: Sequence[_Ranked]) -> tuple[np.ndarray, float]:
    """The confidence model: is the best candidate right?"""
    rows = [r.engine.composer.confidence_features(r.cands, r.text) for r in ranked]
    return _fit_logistic(np.asarray(rows), np.asarray([float(r.would_be_correct) for r in ranked]))


class _Scored(NamedTuple):
    answerable: bool
    would_be_correct: bool
    confidence: float


def _scored(ranked: Sequence[_Ranked]) -> list[_Scored]:
    return [
        _Scored(r.answerable, r.would_be_correct, r.engine.composer.confidence(r.cands, r.text))
        for r in ranked
    ]


def cross_validate(
    sets: Sequence[tuple[Any, Sequence[GoldQuestion]]], folds: int = 5, repeats: int = 3
) -> dict[str, float | None]:
    """Held-out quality of the composer's fitting procedure: ``repeats`` × ``folds``-fold
    cross-validation over the given (dev) questions. Each fold fits the sentence model, the
    confidence model and the threshold (the lowest with the best accuracy) on the other folds,
    and scores the held-out questions: top-1 (the best sentence cites gold, answerable
    questions), confidence AUC (right answers against unanswerable questions) and accuracy.
    In-sample dev figures overstate these; judge changes to features or fitting here."""
    prepared = _prepare(sets)
    engines = list({id(e): e for e, *_ in prepared}.values())
    old = engines[0].composer.settings
    groups = _sentence_groups(prepared)
    tops: list[float] = []
    correct = 0
    aucs: list[float] = []
    try:
        for repeat in range(repeats):
            order = np.random.default_rng(repeat).permutation(len(prepared))
            for part in np.array_split(order, folds):
                held = set(part.tolist())
                train = [i for i in range(len(prepared)) if i not in held]
                weights = _fit_listwise([groups[i] for i in train if groups[i][1].any()])
                settings = replace(old, weights=tuple(float(w) for w in weights), bias=0.0)
                _set(engines, settings)
                fit = _ranked([prepared[i] for i in train])
                cw, cb = _fit_confidence(fit)
                _set(engines, replace(settings, confidence_weights=tuple(cw), confidence_bias=cb))
                seen = _scored(fit)
                threshold = max(
                    sorted({o.confidence for o in seen}),
                    key=lambda t: sum(correct_at(o, t) for o in seen),
                )
                out = _scored(_ranked([prepared[i] for i in sorted(held)]))
                tops += [float(o.would_be_correct) for o in out if o.answerable]
                correct += sum(correct_at(o, threshold) for o in out)
                auc = _auc(
                    [o.confidence for o in out if o.would_be_correct],
                    [o.confidence for o in out if not o.answerable],
                )
                if auc is not None:
                    aucs.append(auc)
    finally:
        _set(engines, old)
    return {
        "questions": float(len(prepared)),
        "top1": _mean(tops),
        "confidence_auc": _mean(aucs),
        "accuracy": correct / (len(prepared) * repeats) if prepared else None,
    }


def tune(
    sets: Sequence[tuple[Any, Sequence[GoldQuestion]]],
) -> tuple[ComposerSettings, dict[str, Any]]:
    """Fit the composer on (engine, dev questions) pairs — one per corpus — in three steps: the
    sentence model (which sentence answers), the confidence model (is the chosen sentence
    right), then the abstention threshold and neighbour gap with the best pooled accuracy."""
    engines = [engine for engine, _ in sets]
    prepared = _prepare(sets)
    groups = _sentence_groups(prepared)
    weights = _fit_listwise([g for g in groups if g[1].any()])
    old = engines[0].composer.settings
    settings = replace(old, weights=tuple(round(float(w), 4) for w in weights), bias=0.0)
    _set(engines, settings)
    try:
        cw, cb = _fit_confidence(_ranked(prepared))
        settings = replace(
            settings,
            confidence_weights=tuple(round(float(w), 4) for w in cw),
            confidence_bias=round(cb, 4),
            threshold=0.0,
        )

        def pooled() -> list[Result]:
            return [r for engine, gold in sets for r in run(engine, gold)[0]]

        best: tuple[float, float, float] | None = None
        for gap in (0.0, 0.25, 0.5, 1.0):
            _set(engines, replace(settings, neighbour_gap=gap))
            threshold = best_threshold(sweep(pooled()))
            _set(engines, replace(settings, neighbour_gap=gap, threshold=threshold))
            m = metrics(pooled())
            score = (m["accuracy"] or 0.0) + 0.1 * (m["citation_precision"] or 0.0)
            if best is None or score > best[0]:
                best = (score, gap, threshold)
    finally:
        _set(engines, old)
    assert best is not None
    info = {
        "sentence_features": list(FEATURES),
        "confidence_features": list(CONFIDENCE_FEATURES),
        "candidates": sum(len(y) for _, y in groups),
        "positives": int(sum(y.sum() for _, y in groups)),
        "questions": len(prepared),
        "dev_score": round(best[0], 4),
    }
    return replace(settings, neighbour_gap=best[1], threshold=round(best[2], 4)), info


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
