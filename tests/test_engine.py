"""qa.answer.engine: question validation, the public answer shape, verified citations, duplicates,
determinism. Shape and invariants hold whatever the composer decides to answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import SEED_000, SEED_001, SEEDS, HashingEncoder

from qa.answer.composer import verify
from qa.answer.engine import MAX_QUESTION_CHARS, Engine, check_question
from qa.core.errors import NotFound, QuestionRejected
from qa.core.text import normalize
from qa.core.types import Answer
from qa.ingest.corpus import split_paragraphs

ANSWER_KEYS = {
    "question",
    "answer",
    "abstained",
    "confidence",
    "citations",
    "related",
    "index_version",
    "short_answer",
}
CITATION_KEYS = {"source", "paragraph", "start", "end", "quote", "also_in"}
SPAN_KEYS = {"source", "paragraph", "start", "end"}

QUESTIONS = [
    "who led the 2014 Kassab offensive?",
    "How many police officers were killed in the ambush near Latakia?",
    "What does the Syrian regime accuse Turkey of?",
    "Who won the 2018 World Cup?",
    "What is the capital of Canada?",
    "Who is Germany's Special Envoy for Syria?",
    "When did rebels launch the offensive into the Alawite heartland?",
    "What campaign did activists launch online?",
    "latakia",
    "?",
]


# ---------------------------------------------------------------- question validation

REJECTED = [
    pytest.param("", "the question is empty", id="empty"),
    pytest.param("   ", "the question is empty", id="spaces"),
    pytest.param(" \t\r\n ", "the question is empty", id="whitespace-only"),
    pytest.param("who\x00 led it?", "the question contains control characters", id="nul"),
    pytest.param("\x1b[31mwho led it?", "the question contains control characters", id="escape"),
    pytest.param("who\x07 led it?", "the question contains control characters", id="bell"),
    pytest.param("who led\x7f it?", "the question contains control characters", id="delete"),
    pytest.param(
        "why " * 251, f"the question is longer than {MAX_QUESTION_CHARS} characters", id="too-long"
    ),
    pytest.param(
        "x" * (MAX_QUESTION_CHARS + 1), "the question is longer than 1000 characters", id="1001"
    ),
]


@pytest.mark.parametrize(("question", "message"), REJECTED)
def test_check_question_rejects(question: str, message: str) -> None:
    with pytest.raises(QuestionRejected, match=re.escape(message)):
        check_question(question)


@pytest.mark.parametrize(
    ("question", "cleaned"),
    [
        ("who led the offensive?", "who led the offensive?"),
        ("  who   led\tthe\noffensive? \r\n", "who led the offensive?"),
        ("x" * MAX_QUESTION_CHARS, "x" * MAX_QUESTION_CHARS),
        ("  " + "y" * MAX_QUESTION_CHARS + "  ", "y" * MAX_QUESTION_CHARS),
        ("Qui a dirigé l’offensive ?", "Qui a dirigé l’offensive ?"),
        ("من قاد الهجوم؟", "من قاد الهجوم؟"),
    ],
)
def test_check_question_tidies(question: str, cleaned: str) -> None:
    assert check_question(question) == cleaned


def test_empty_question_message_says_how_to_fix() -> None:
    with pytest.raises(QuestionRejected, match=r'ask "who …\?"'):
        check_question("")


@pytest.fixture
def tiny_engine(
    make_corpus: Callable[..., Path], fake_encoder: HashingEncoder, tmp_path: Path
) -> Engine:
    return Engine.open(make_corpus(), index_dir=tmp_path / "index", encoder=fake_encoder)


@pytest.mark.parametrize(("question", "message"), REJECTED)
def test_engine_rejects_bad_questions(tiny_engine: Engine, question: str, message: str) -> None:
    with pytest.raises(QuestionRejected, match=re.escape(message)):
        tiny_engine.ask(question)
    with pytest.raises(QuestionRejected, match=re.escape(message)):
        tiny_engine.ask_many(["When was the lighthouse built?", question])


def test_tiny_engine_answers_are_verified(tiny_engine: Engine) -> None:
    for q in ("When was Carrow Point lighthouse built?", "Who teaches at the island school?"):
        _check_answer(tiny_engine, tiny_engine.ask(q))


@pytest.mark.parametrize(
    ("source", "number", "message"),
    [
        ("nope.txt", 1, "no source named 'nope.txt' in this corpus"),
        ("../ferry.txt", 1, "no source named '../ferry.txt' in this corpus"),
        ("ferry.txt", 0, "ferry.txt has no paragraph 0"),
        ("ferry.txt", 4, "ferry.txt has no paragraph 4"),
        ("ferry.txt", -1, "ferry.txt has no paragraph -1"),
    ],
)
def test_paragraph_lookup_errors(
    tiny_engine: Engine, source: str, number: int, message: str
) -> None:
    with pytest.raises(NotFound, match=re.escape(message)):
        tiny_engine.paragraph(source, number)


def test_paragraph_lookup(tiny_engine: Engine) -> None:
    p = tiny_engine.paragraph("ferry.txt", 3)
    assert p.text == "The island's school has eleven pupils and one teacher, Orla Brennan."
    assert tiny_engine.texts["ferry.txt"][p.start : p.end] == p.text


# ---------------------------------------------------------------- invariants on the seeds


def _check_answer(engine: Engine, answer: Answer) -> None:
    d = answer.to_dict()
    assert set(d) == ANSWER_KEYS
    assert json.loads(json.dumps(d)) == d
    assert isinstance(d["answer"], str) and isinstance(d["abstained"], bool)
    assert isinstance(d["confidence"], float) and 0.0 <= d["confidence"] <= 1.0
    assert d["index_version"] == engine.store.manifest["index_version"]
    assert d["answer"] == " ".join(c["quote"] for c in d["citations"])
    if d["abstained"]:
        assert d["answer"] == "" and d["citations"] == []
        assert d["related"], "an abstention lists the nearest passages"
    else:
        assert d["citations"] and d["related"] == []
    for c in d["citations"] + d["related"]:
        _check_citation(engine, c)
    short = d["short_answer"]
    if short is not None:  # the exact words, inside the first citation's quote
        assert not d["abstained"] and set(short) == {"text", "source", "start", "end"}
        first = d["citations"][0]
        text = (engine.corpus / short["source"]).read_text(encoding="utf-8")
        assert text[short["start"] : short["end"]] == short["text"]
        assert short["source"] == first["source"]
        assert first["start"] <= short["start"] < short["end"] <= first["end"]


def _check_citation(engine: Engine, c: dict[str, Any]) -> None:
    assert set(c) == CITATION_KEYS
    assert all(isinstance(c[k], int) for k in ("paragraph", "start", "end"))
    text = (engine.corpus / c["source"]).read_text(encoding="utf-8")
    assert text[c["start"] : c["end"]] == c["quote"]
    assert c["quote"] and c["quote"] == c["quote"].strip()
    para = split_paragraphs(c["source"], text)[c["paragraph"] - 1]
    assert para.start <= c["start"] < c["end"] <= para.end, "quote outside its paragraph"
    for span in c["also_in"]:
        assert set(span) == SPAN_KEYS
        other = (engine.corpus / span["source"]).read_text(encoding="utf-8")
        copy = other[span["start"] : span["end"]]
        other_para = split_paragraphs(span["source"], other)[span["paragraph"] - 1]
        assert other_para.start <= span["start"] < span["end"] <= other_para.end
        assert normalize(c["quote"]) in normalize(copy), "also_in points at another text"


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_answer_shape_and_citations(seeds_engine: Engine, question: str) -> None:
    answer = seeds_engine.ask(question)
    assert answer.question == check_question(question)
    _check_answer(seeds_engine, answer)
    assert set(answer.timings_ms) == {"embed", "retrieve", "compose"}
    for c in answer.citations + answer.related:
        verify(c, seeds_engine.texts)  # the engine's own check agrees


@pytest.mark.slow
def test_answers_and_abstentions_both_occur(seeds_engine: Engine) -> None:
    answers = seeds_engine.ask_many(QUESTIONS)
    assert any(a.abstained for a in answers)
    assert any(not a.abstained for a in answers)
    assert seeds_engine.ask("Who won the 2018 World Cup?").abstained


@pytest.mark.slow
def test_determinism(seeds_engine: Engine, seeds_dir: Path, seeds_index_dir: Path) -> None:
    first = [seeds_engine.ask(q).to_dict() for q in QUESTIONS]
    again = [seeds_engine.ask(q).to_dict() for q in QUESTIONS]
    assert first == again
    batch = [a.to_dict() for a in seeds_engine.ask_many(QUESTIONS)]
    assert batch == first
    fresh = Engine.open(seeds_dir, index_dir=seeds_index_dir, encoder=seeds_engine.encoder)
    assert [fresh.ask(q).to_dict() for q in QUESTIONS] == first


@pytest.mark.slow
def test_seeds_index_holds_each_text_once(seeds_engine: Engine) -> None:
    passages = seeds_engine.store.passages
    keys = [normalize(p.text) for p in passages]
    assert len(keys) == len(set(keys))
    assert seeds_engine.store.manifest["counts"]["duplicate_paragraphs"] == 10
    located = {(p.source, p.paragraph) for p in passages}
    assert not any((SEED_001, n) in located for n in range(2, 12))
    assert (SEED_001, 1) in located and (SEED_001, 12) in located
    chrome = {(SEED_000, 1)} | {(SEED_000, n) for n in range(16, 62)}
    assert not located & chrome
    assert {(SEED_000, n) for n in range(2, 16)} <= located
    for p in passages:
        if p.source == SEED_000 and 6 <= p.paragraph <= 15:
            assert [(s.source, s.paragraph) for s in p.also_in] == [(SEED_001, p.paragraph - 4)]
            for s in p.sentences:
                (copy,) = s.also_in
                other = seeds_engine.texts[SEED_001][copy.start : copy.end]
                assert normalize(other) == normalize(s.text)
        else:
            assert p.also_in == ()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "paragraph", "phrase"),
    [
        ("What does the Syrian regime accuse Turkey of?", 7, "accuses Turkey of providing"),
        (
            "Who visited the front lines to say the rebels' goal was not ethnic cleansing?",
            8,
            "Ahmad Jarba",
        ),
        ("What online campaign did activists launch about Aleppo?", 13, "#SaveAleppo"),
    ],
)
def test_answer_from_shared_paragraph_lists_its_copy(
    seeds_engine: Engine, question: str, paragraph: int, phrase: str
) -> None:
    answer = seeds_engine.ask(question)
    assert not answer.abstained
    cited = [c for c in answer.citations if phrase in c.quote]
    assert cited, [c.quote for c in answer.citations]
    for c in cited:
        assert (c.source, c.paragraph) == (SEED_000, paragraph)
        assert [(s.source, s.paragraph) for s in c.also_in] == [(SEED_001, paragraph - 4)]
        (copy,) = c.also_in
        other = (SEEDS / SEED_001).read_text(encoding="utf-8")
        assert normalize(other[copy.start : copy.end]) == normalize(c.quote)
