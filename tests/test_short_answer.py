"""The short answer, property-tested on random texts (curly quotes, no-break spaces, accented,
combining and non-Latin letters, hyphenated words, emoji): its offsets survive the JSON of
`Answer.to_dict()`, the HTTP API and msgspec, and every rendering shows its exact text (the
terminal output, the chat content; the page is in test_browser.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec
import pytest
from fakes import ScriptedEngine
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient
from serving import LOCAL

from qa.answer.render import BOLD, RESET, render_answer, short_span
from qa.core.types import Answer, Citation, Paragraph, ShortAnswer
from qa.serve.app import create_app
from qa.serve.wire import chat_content

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "éèêëàâçñüöäßøåœæÉÀÇÑÜŁłşğı"  # accented
    "\u0301\u0308"  # combining acute and diaeresis (one code point each, as Python counts)
    "жизньМосква"  # Cyrillic
    "λόγοςΑθήνα"  # Greek
    "漢字東京"  # CJK
    "مرحباسوريا"  # Arabic
    "שלום"  # Hebrew
    "🛰😀"  # outside the BMP: two UTF-16 units each
)
SEPARATORS = [" "] * 6 + ["\u00a0", "-", "–", " — ", ", ", "; ", " “", "” ", "‘", "’", "'", "\n"]
SOURCES = ["a.txt", "Ünïcode – notes ‘2024’.txt", "000_af464d22616ba6fd.txt"]


@dataclass(frozen=True)
class Case:
    """A file, its paragraph holding citation [1], and an answer whose short answer is inside."""

    texts: dict[str, str]
    paragraph: Paragraph
    answer: Answer

    @property
    def short(self) -> ShortAnswer:
        assert self.answer.short_answer is not None
        return self.answer.short_answer


@st.composite
def prose(draw: st.DrawFn, min_words: int = 0, max_words: int = 8) -> str:
    words = draw(
        st.lists(st.text(LETTERS, min_size=1, max_size=9), min_size=min_words, max_size=max_words)
    )
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True)).strip(" ")


def _trimmed(text: str) -> bool:
    return bool(text) and text == text.strip()


@st.composite
def cases(draw: st.DrawFn) -> Case:
    source = draw(st.sampled_from(SOURCES))
    prefix, para, suffix = draw(prose()), draw(prose(3, 30)), draw(prose())
    assume(para)
    text = f"{prefix}\n{para}\n{suffix}"
    ps = len(prefix) + 1
    pe = ps + len(para)
    cs = draw(st.integers(ps, pe - 1))
    ce = draw(st.integers(cs + 1, pe))
    s = draw(st.integers(cs, ce - 1))
    e = draw(st.integers(s + 1, ce))
    assume(_trimmed(text[cs:ce]) and _trimmed(text[s:e]))  # sentences and answers are trimmed
    cite = Citation(source, 2, cs, ce, text[cs:ce])
    answer = Answer(
        "Who is it?",
        cite.quote,
        False,
        draw(st.floats(0, 1)),
        (cite,),
        (),
        "scripted-v1",
        short_answer=ShortAnswer(text[s:e], source, s, e),
    )
    return Case({source: text}, Paragraph(source, 2, ps, pe, para), answer)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[TestClient[Litestar], ScriptedEngine]]:
    engine = ScriptedEngine()
    with TestClient(create_app(lambda: engine), base_url=LOCAL) as client:
        yield client, engine


def _check_offsets(body: dict[str, object], text: str) -> ShortAnswer:
    short = ShortAnswer(**body["short_answer"])  # type: ignore[arg-type]
    assert text[short.start : short.end] == short.text
    first = body["citations"][0]  # type: ignore[index]
    assert text[first["start"] : first["end"]] == first["quote"]
    assert first["source"] == short.source
    assert first["start"] <= short.start < short.end <= first["end"]
    return short


@settings(max_examples=60, deadline=None)
@given(case=cases())
def test_short_answer_round_trips_and_renders_verbatim(
    served: tuple[TestClient[Litestar], ScriptedEngine], case: Case
) -> None:
    short, text = case.short, case.texts[case.short.source]
    assert text[short.start : short.end] == short.text
    assert short_span(case.answer.citations[0], short) is not None

    # the JSON shape: json (both ways of writing non-ASCII), msgspec, and the HTTP API
    for ascii_only in (False, True):
        wire = json.dumps(case.answer.to_dict(), ensure_ascii=ascii_only)
        assert _check_offsets(json.loads(wire), text) == short
    assert _check_offsets(msgspec.json.decode(msgspec.json.encode(case.answer.to_dict())), text)
    client, engine = served
    engine.answer, engine.texts, engine.paragraphs = case.answer, case.texts, [case.paragraph]
    asked = client.post("/ask", json={"question": "Who is it?"}).json()
    assert _check_offsets(asked, text) == short
    completion = client.post(
        "/v1/chat/completions",
        json={"model": "qa-extractive", "messages": [{"role": "user", "content": "Who is it?"}]},
    ).json()
    assert _check_offsets(completion, text) == short
    content = completion["choices"][0]["message"]["content"]
    assert content == "".join(chat_content(case.answer))
    lead, _, rest = content.partition("\n\n")
    assert rest.startswith(case.answer.citations[0].quote.split()[0])
    if "\n" not in short.text:
        assert lead == f"**{short.text}**"  # verbatim, no-break spaces and all
    else:  # a line break inside (a hard-wrapped file) becomes a space: one line still
        assert "\n" not in lead and "".join(lead.split()) == f"**{''.join(short.text.split())}**"

    # the terminal: plain output leads with the exact text; bold changes nothing else
    plain = render_answer(case.answer)
    assert plain.startswith(f"{short.text}\n\n")
    bold = render_answer(case.answer, bold=True)
    assert bold.startswith(f"{BOLD}{short.text}{RESET}\n\n")
    assert ANSI.sub("", bold) == plain
    sources = bold.split("\nSources (confidence ", 1)[1]
    marked = re.findall(re.escape(BOLD) + "(.*?)" + re.escape(RESET), sources, re.DOTALL)
    assert len(marked) == 1
    assert "".join(marked[0].split()) == "".join(short.text.split())  # only wrapping differs
