"""The assistant message of a chat completion: quotes with [n] markers, sources, the short
answer on its own line."""

from __future__ import annotations

from dataclasses import replace

from fakes import observatory_answer
from test_server import _answer

from qa.core.types import ShortAnswer
from qa.serve.wire import chat_content


def test_chat_content_numbers_quotes_and_sources() -> None:
    answer = replace(_answer("who?"), rewritten_query="Who is it?")
    content = "".join(chat_content(answer))
    assert content.startswith("An answer to who? [1]\n\nSources (confidence 0.90):\n[1] a.txt ¶1")
    assert content.endswith("Searched: “Who is it?”")


def test_abstentions_never_lead_with_a_short_answer() -> None:
    answer = replace(observatory_answer(), abstained=True, answer="", citations=(), confidence=0.2)
    assert "".join(chat_content(answer)).startswith("The sources don't answer this question")


def test_chat_content_keeps_the_short_answer_on_one_line() -> None:
    short = ShortAnswer("Thomas\n    Hale\u00a0Jr.", "a.txt", 0, 19)
    answer = replace(_answer("who?"), short_answer=short)
    assert chat_content(answer)[0] == "**Thomas Hale\u00a0Jr.**\n\n"
