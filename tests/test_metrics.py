"""Metrics against hand-computed cases: normalisation, one question, invariants, aggregates."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from qa.core.types import Answer, Citation, Evidence, GoldQuestion, ShortAnswer, Span
from qa.evaluate.gold import Corpus
from qa.evaluate.metrics import (
    Result,
    best_threshold,
    bootstrap_halfwidth,
    check_invariants,
    metrics,
    score_question,
    squad_normalize,
    sweep,
)

# ---------------------------------------------------------------- SQuAD normalisation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Islamist factions!", "islamist factions"),
        ("  an   apple, a pear ", "apple pear"),
        ("“Quoted” words", "quoted words"),
        ("U.S. Secretary", "us secretary"),
    ],
)
def test_squad_normalize(raw: str, expected: str) -> None:
    assert squad_normalize(raw) == expected


# ---------------------------------------------------------------- one question, by hand

TEXT = "Alpha beta gamma. The committee was formed by judges. Delta epsilon zeta."
#       0         1         2         3         4         5         6         7
#       0123456789012345678901234567890123456789012345678901234567890123456789012345


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Corpus:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Other words here. " + TEXT, encoding="utf-8")
    return Corpus(tmp_path)


def _cite(start: int, end: int, source: str = "a.txt", also: tuple[Span, ...] = ()) -> Citation:
    return Citation(source, 1, start, end, TEXT[start:end], also)


def _answer(citations: tuple[Citation, ...], confidence: float = 0.9) -> Answer:
    return Answer(
        "q", " ".join(c.quote for c in citations), not citations, confidence, citations, (), "v"
    )


GOLD = GoldQuestion(
    "g1",
    "who formed the committee?",
    True,
    ("judges",),
    (Evidence("a.txt", "The committee was formed by judges."),),
    ("who",),
    "test",
)


def test_scores_an_exact_answer(tiny_corpus: Corpus) -> None:
    ans = _answer((_cite(18, 53),))
    r = score_question(GOLD, ans, ans, [{("a.txt", 1)}], tiny_corpus)
    assert (r.top_correct, r.contains, r.precision, r.recall) == (True, True, 1.0, 1.0)
    assert r.first_relevant == 1 and r.invariant_failures == ()
    assert (r.short, r.short_em, r.short_f1) == (False, None, None)


@pytest.mark.parametrize(
    ("start", "end", "em", "f1"),
    [(46, 52, 1.0, 1.0), (37, 52, 0.0, 0.5), (18, 31, 0.0, 0.0)],
)
def test_short_answers_score_squad_exact_match_and_f1(
    tiny_corpus: Corpus, start: int, end: int, em: float, f1: float
) -> None:
    short = ShortAnswer(TEXT[start:end], "a.txt", start, end)
    ans = replace(_answer((_cite(18, 53),)), short_answer=short)
    r = score_question(GOLD, ans, ans, [], tiny_corpus)
    assert (r.short, r.short_em, r.short_f1) == (True, em, pytest.approx(f1))
    assert r.invariant_failures == ()


def test_precision_and_recall_by_characters(tiny_corpus: Corpus) -> None:
    # cites "Alpha beta gamma." (17 chars, outside) and the gold sentence (35 chars, inside)
    ans = _answer((_cite(0, 17), _cite(18, 53)))
    r = score_question(GOLD, ans, ans, [], tiny_corpus)
    assert r.precision == pytest.approx(35 / 52)
    assert r.recall == pytest.approx(1.0)
    assert r.top_correct is False  # the first citation is the wrong sentence
    assert r.first_relevant is None


def test_a_copy_in_also_in_counts_as_citing_gold(tiny_corpus: Corpus) -> None:
    gold = GoldQuestion(
        "g2",
        "q",
        True,
        ("judges",),
        (Evidence("b.txt", "The committee was formed by judges."),),
        (),
        "test",
    )
    ans = _answer((_cite(18, 53, also=(Span("b.txt", 1, 36, 71),)),))
    r = score_question(gold, ans, ans, [], tiny_corpus)
    assert r.top_correct and r.precision == 1.0 and r.recall == 1.0


def test_unanswerable_is_right_only_when_abstained(tiny_corpus: Corpus) -> None:
    q = GoldQuestion("u1", "q", False, (), (), ("unanswerable",), "test")
    abstained = Answer("q", "", True, 0.1, (), (), "v")
    answered = _answer((_cite(0, 17),), confidence=0.8)
    assert score_question(q, abstained, answered, [], tiny_corpus).correct is True
    assert score_question(q, answered, answered, [], tiny_corpus).correct is False


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda a: a["citations"][0].update(start=1), "not verbatim"),
        (lambda a: a.update(answer=a["answer"] + " extra"), "joined cited quotes"),
        (lambda a: a.update(citations=[], answer=""), "answer without citations"),
        (lambda a: a.update(abstained=True), "abstention that still answers"),
        (lambda a: a.update(related=list(a["citations"])), "related passages on an answer"),
        (lambda a: a["short_answer"].update(start=47), "short answer not verbatim"),
        (
            lambda a: a["short_answer"].update(start=0, end=5, text="Alpha"),
            "short answer outside its cited sentence",
        ),
    ],
)
def test_each_invariant_can_fail(tiny_corpus: Corpus, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    short = ShortAnswer("judges", "a.txt", 46, 52)
    a = replace(_answer((_cite(18, 53),)), short_answer=short).to_dict()
    assert check_invariants(a, tiny_corpus) == []
    mutate(a)
    assert any(message in f for f in check_invariants(a, tiny_corpus))


# ---------------------------------------------------------------- aggregate metrics


def _result(
    rid: str,
    answerable: bool,
    first: int | None = None,
    top: bool = False,
    abstained: bool = False,
    confidence: float = 0.5,
    would: bool = False,
) -> Result:
    return Result(
        rid,
        ("t",),
        answerable,
        confidence,
        would,
        abstained,
        top,
        top,
        1.0 if top else 0.0,
        1.0 if top else 0.0,
        first,
        10,
        (),
    )


def test_retrieval_metrics_by_hand() -> None:
    rs = [
        _result("a", True, first=1, top=True),
        _result("b", True, first=3),
        _result("c", True, first=None),
        _result("d", False, abstained=True),
    ]
    m = metrics(rs)
    assert m["hit@1"] == pytest.approx(1 / 3)
    assert m["recall@5"] == pytest.approx(2 / 3)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 3) / 3)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / 3)
    assert m["accuracy"] == pytest.approx(2 / 4)
    assert m["abstention_recall"] == 1.0
    assert m["false_abstention"] == 0.0
    assert m["related_recall"] is None  # no answerable question was abstained on


def test_related_recall_counts_abstained_answerable_questions_only() -> None:
    rs = [
        replace(_result("a", True, abstained=True), related_gold=True),
        replace(_result("b", True, abstained=True), related_gold=False),
        replace(_result("c", True, abstained=True), related_gold=True),
        _result("d", True, top=True),
        _result("e", False, abstained=True),
    ]
    m = metrics(rs)
    assert m["related_recall"] == pytest.approx(2 / 3)
    assert m["false_abstention"] == pytest.approx(3 / 4)


def test_sweep_and_best_threshold() -> None:
    rs = [
        _result("a", True, confidence=0.9, would=True),
        _result("b", True, confidence=0.4, would=False),
        _result("c", False, confidence=0.3),
    ]
    points = {p["threshold"]: p for p in sweep(rs)}
    assert points[0.0]["accuracy"] == pytest.approx(1 / 3)  # answers all: only "a" right
    assert points[0.9]["accuracy"] == pytest.approx(2 / 3)  # "a" answered, "c" abstained
    assert points[0.9]["abstention"] == pytest.approx(2 / 3)
    assert 0.4 < best_threshold(sweep(rs)) <= 0.9
    assert best_threshold(sweep(rs), lowest=True) == pytest.approx(0.4)


def test_a_sweep_over_several_corpora_weighs_each_equally() -> None:
    small = [_result("s", False, confidence=0.5)]  # right only when abstained
    large = [_result(str(i), True, confidence=0.5, would=True) for i in range(9)]
    points = {p["threshold"]: p for p in sweep(small, large)}
    assert points[0.0]["accuracy"] == pytest.approx(0.5)  # (0/1 + 9/9) / 2, not 9/10
    assert points[1.01]["accuracy"] == pytest.approx(0.5)  # (1/1 + 0/9) / 2
    assert points[1.01]["abstention"] == pytest.approx(1.0)


def test_bootstrap_is_zero_for_identical_results_and_deterministic() -> None:
    same = [_result(str(i), True, first=1, top=True) for i in range(20)]
    assert bootstrap_halfwidth(same)["hit@1"] == 0.0
    mixed = [_result(str(i), True, first=1 if i % 2 else None, top=bool(i % 2)) for i in range(40)]
    assert bootstrap_halfwidth(mixed) == bootstrap_halfwidth(mixed)
    assert bootstrap_halfwidth(mixed)["hit@1"] > 0.05


# ---------------------------------------------------------------- what a target asks of the reader


def test_the_ceiling_of_accuracy_by_hand() -> None:
    from eval.ceiling import auc_needed, best_accuracy, ceiling

    rs = [
        _result("r1", True, confidence=0.9, would=True, top=True),
        _result("r2", True, confidence=0.2, would=True, abstained=True),
        _result("w", True, confidence=0.8, would=False),
        _result("u1", False, confidence=0.1, abstained=True),
        _result("u2", False, confidence=0.7),
    ]
    row = ceiling(rs)
    assert row["choice_right"] == pytest.approx(2 / 3, abs=1e-3)
    assert row["accuracy_perfect_confidence"] == pytest.approx(4 / 5)  # w is wrong regardless
    assert row["auc_right_vs_unanswerable"] == pytest.approx(0.75)  # (0.9 > both, 0.2 > 0.1)
    assert row["auc_needed_for_0.80"] is not None and row["auc_needed_for_0.80"] > 0.99
    # no separation (d = 0): the best is to answer all; a near-perfect one (d = 12): all right
    assert best_accuracy(6, 4, 0, 0.0) == pytest.approx(0.6, abs=1e-3)
    assert best_accuracy(6, 4, 0, 12.0) == pytest.approx(1.0, abs=1e-3)
    assert auc_needed(6, 2, 2, 0.85) is None  # the choice caps accuracy at 0.8
    lower, higher = auc_needed(6, 4, 0, 0.8), auc_needed(6, 4, 0, 0.9)
    assert lower is not None and higher is not None and 0.5 < lower < higher < 1.0
