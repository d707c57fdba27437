"""Follow-up rewriting: generic conversations, no corpus, no model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.answer.chat import Rewrite, resolve, standalone_query, subject


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who designed the 1998 Harbour Bridge?", "the 1998 Harbour Bridge"),
        ("Who is Portland's deputy mayor?", "Portland's deputy mayor"),
        ("What did Alice Moreau say about the strike in Lyon?", "Alice Moreau"),
        ("Where did the rebel pilots land their planes?", "the rebel pilots land their planes"),
        ("How many people died in the flood?", "the flood"),
        ("what is photosynthesis", "photosynthesis"),
        ("Why?", None),
        ("", None),
    ],
)
def test_subject_of_a_question(question: str, expected: str | None) -> None:
    assert subject(question) == expected


@pytest.mark.parametrize(
    ("earlier", "message", "query", "reason"),
    [
        # a pronoun is replaced by the previous subject
        (
            ["Who designed the 1998 Harbour Bridge?"],
            "And who condemned it?",
            "Who condemned the 1998 Harbour Bridge?",
            "pronoun 'it'",
        ),
        (
            ["Who is the mayor of Springfield?"],
            "When did he take office?",
            "When did the mayor of Springfield take office?",
            "pronoun 'he'",
        ),
        (
            ["Who are the founders of the Green Party?"],
            "What did they demand?",
            "What did the founders of the Green Party demand?",
            "pronoun 'they'",
        ),
        (
            ["Who designed the 1998 Harbour Bridge?"],
            "What was its cost?",
            "What was the 1998 Harbour Bridge's cost?",
            "pronoun 'its'",
        ),
        (
            ["Where is the Kepler Observatory?"],
            "Who works there?",
            "Who works in the Kepler Observatory?",
            "pronoun 'there'",
        ),
        (
            ["Who won the chess final?"],
            "Who filmed that?",
            "Who filmed the chess final?",
            "pronoun 'that'",
        ),
        # "what about X": a name takes the place of the previous first name
        (["Where was Alice born?"], "What about Bob?", "Where was Bob born?", "what about"),
        (["Where was Alice born?"], "And Bob?", "Where was Bob born?", "what about"),
        (
            ["What did France say about the strike?"],
            "how about the United Nations",
            "What did the United Nations say about the strike?",
            "what about",
        ),
        (
            ["How many people died in the flood?"],
            "What about the injured?",
            "What about the injured (the flood)?",
            "what about",
        ),
        # very short, a connective, or a demonstrative: the subject is appended
        (
            ["Who designed the 1998 Harbour Bridge?"],
            "When?",
            "When (the 1998 Harbour Bridge)?",
            "short",
        ),
        (
            ["Who designed the 1998 Harbour Bridge?"],
            "but why did the design change",
            "Why did the design change (the 1998 Harbour Bridge)?",
            "connective",
        ),
        (
            ["Who designed the 1998 Harbour Bridge?"],
            "Who paid for this project?",
            "Who paid for this project (the 1998 Harbour Bridge)?",
            "demonstrative",
        ),
        # a connective before a question that already names its subject only loses the "and"
        (
            ["Who is the mayor of Springfield?"],
            "And who elected the mayor of Springfield?",
            "Who elected the mayor of Springfield?",
            "connective",
        ),
        # standalone questions stay as typed (white space tidied)
        (
            ["Who designed the 1998 Harbour Bridge?"],
            "What is the capital of  Peru?",
            "What is the capital of Peru?",
            None,
        ),
        (
            ["Who designed the 1998 Harbour Bridge?"],
            "Who said that the war ended in 1945?",
            "Who said that the war ended in 1945?",
            None,
        ),
        (
            ["Who designed the 1998 Harbour Bridge?"],
            "Are there plans for a second bridge over the river?",
            "Are there plans for a second bridge over the river?",
            None,
        ),
        # nothing to refer back to
        ([], "And who condemned it?", "And who condemned it?", None),
        (["Why?"], "And who condemned it?", "And who condemned it?", None),
        (["   "], "Who condemned it?", "Who condemned it?", None),
    ],
)
def test_follow_ups_carry_the_subject(
    earlier: list[str], message: str, query: str, reason: str | None
) -> None:
    assert standalone_query(message, earlier) == Rewrite(query, reason)


def test_chained_follow_ups_keep_the_first_subject() -> None:
    earlier = ["Who designed the 1998 Harbour Bridge?", "And who condemned it?"]
    assert standalone_query("What was its cost?", earlier).query == (
        "What was the 1998 Harbour Bridge's cost?"
    )
    assert standalone_query("Where?", earlier).query == "Where (the 1998 Harbour Bridge)?"


def test_a_new_subject_resets_the_conversation() -> None:
    earlier = ["Who designed the 1998 Harbour Bridge?", "Who runs the Kepler Observatory?"]
    assert standalone_query("When was it built?", earlier).query == (
        "When was the Kepler Observatory built?"
    )


def test_a_query_over_the_limit_falls_back_to_the_message() -> None:
    earlier = ["Who designed the " + "very " * 30 + "long bridge?"]
    rewrite = standalone_query("Who paid for it?", earlier, max_chars=40)
    assert rewrite == Rewrite("Who paid for it?")
    assert not rewrite.follow_up


def test_a_lone_connective_repeats_the_previous_question() -> None:
    assert resolve("and?", "Who is the mayor of Springfield?") == Rewrite(
        "Who is the mayor of Springfield?", "connective"
    )


@given(
    earlier=st.lists(st.text(max_size=60), max_size=4),
    message=st.text(min_size=1, max_size=60),
)
def test_rewriting_is_deterministic_and_keeps_the_message_words(
    earlier: list[str], message: str
) -> None:
    first = standalone_query(message, earlier)
    assert standalone_query(message, earlier) == first
    if not first.follow_up:
        assert first.query == " ".join(message.split())
