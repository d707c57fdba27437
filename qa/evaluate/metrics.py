"""Grounding invariants and quality metrics: per question, aggregated, and over thresholds.

Definitions are in eval/README.md; every metric here is computed without any model judge.
"""

from __future__ import annotations

import math
import random
import re
import statistics
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from qa.core.types import Answer, GoldQuestion
from qa.evaluate.gold import Corpus, Span

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


def _citation_spans(c: dict[str, Any]) -> list[Span]:
    return [(c["source"], c["start"], c["end"])] + [
        (d["source"], d["start"], d["end"]) for d in c.get("also_in", [])
    ]


def overlap(a: Span, b: Span) -> int:
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
        return any(overlap(c, g) > 0 for c in _citation_spans(citation) for g in gold)

    probe_cits = probe.to_dict()["citations"]
    would = bool(gold and probe_cits and cites_gold(probe_cits[0]))
    top = bool(gold and a["citations"] and cites_gold(a["citations"][0]))
    contains = any(squad_normalize(x) in squad_normalize(a["answer"]) for x in q.answers)
    precision = recall = None
    if q.answerable and not a["abstained"]:
        cited = [_citation_spans(c) for c in a["citations"]]
        total = sum(c[0][2] - c[0][1] for c in cited)
        inside = sum(max(overlap(s, g) for s in c for g in gold) for c in cited)
        precision = inside / total if total else 0.0
        recall = max(
            sum(max(overlap(s, g) for s in c) for c in cited) / (g[2] - g[1]) for g in gold
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


# ---------------------------------------------------------------- over many questions


def mean_or_none(xs: Iterable[float]) -> float | None:
    """The mean, or None for no values (a metric with nothing to measure)."""
    xs = list(xs)
    return sum(xs) / len(xs) if xs else None


def metrics(results: Sequence[Result]) -> dict[str, float | None]:
    ans = [r for r in results if r.answerable]
    un = [r for r in results if not r.answerable]
    answered = [r for r in ans if not r.abstained]
    return {
        "questions": float(len(results)),
        "accuracy": mean_or_none(float(r.correct) for r in results),
        "answer_containment": mean_or_none(float(r.contains) for r in ans),
        "top_citation_correct": mean_or_none(float(r.top_correct) for r in ans),
        "citation_precision": mean_or_none(
            r.precision for r in answered if r.precision is not None
        ),
        "citation_recall": mean_or_none(r.recall for r in answered if r.recall is not None),
        "median_answer_chars": float(statistics.median([r.answer_chars for r in answered]))
        if answered
        else None,
        "abstention_recall": mean_or_none(float(r.abstained) for r in un),
        "false_abstention": mean_or_none(float(r.abstained) for r in ans),
        "related_recall": mean_or_none(
            float(r.related_gold) for r in ans if r.related_gold is not None
        ),
        "hit@1": mean_or_none(float(r.first_relevant == 1) for r in ans),
        "recall@5": mean_or_none(
            float(r.first_relevant is not None and r.first_relevant <= 5) for r in ans
        ),
        "mrr@10": mean_or_none(1.0 / r.first_relevant if r.first_relevant else 0.0 for r in ans),
        "ndcg@10": mean_or_none(
            1.0 / math.log2(r.first_relevant + 1) if r.first_relevant else 0.0 for r in ans
        ),
        "short_coverage": mean_or_none(float(r.short) for r in answered),
        "short_em": mean_or_none(r.short_em for r in answered if r.short_em is not None),
        "short_f1": mean_or_none(r.short_f1 for r in answered if r.short_f1 is not None),
        "invariants": mean_or_none(float(not r.invariant_failures) for r in results),
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


# ---------------------------------------------------------------- thresholds


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


def auc(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    """The chance that a random positive scores above a random negative (ties count half)."""
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))
