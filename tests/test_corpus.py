"""qa.ingest.corpus: files → paragraphs → sentences with exact offsets, page chrome."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fakes import LICENSES, LONG_LINES, SEED_000, SEED_001, SEED_002, SEED_003, SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.core.errors import CorpusError
from qa.core.text import words
from qa.core.types import Document, Paragraph
from qa.ingest.corpus import (
    decode,
    list_sources,
    load_corpus,
    parse_document,
    split_paragraphs,
    split_sentences,
)


def seed(name: str) -> Document:
    return parse_document(name, (SEEDS / name).read_text(encoding="utf-8"))


def assert_paragraphs_exact(text: str, paragraphs: list[Paragraph] | tuple[Paragraph, ...]) -> None:
    assert [p.number for p in paragraphs] == list(range(1, len(paragraphs) + 1))
    previous_end = 0
    for p in paragraphs:
        assert text[p.start : p.end] == p.text
        assert p.text and p.text == p.text.strip()
        assert p.start >= previous_end
        previous_end = p.end


# ---------------------------------------------------------------- paragraphs: both file shapes

WRAPPED = [
    [
        "The village stood at the head of a long valley, where the road from the",
        "coast gave out among the stones and the sheep tracks began. Nobody could",
        "remember when the first houses had been built there.",
    ],
    [
        "In summer the valley filled with travellers who came to see the falls,",
        "and the innkeeper's daughters sold them bread and cheese at the door of",
        "the inn.",
    ],
    [
        "In winter the snow closed the road for weeks at a time, and the village",
        "lived on what it had stored.",
    ],
]
RFC_STYLE = [
    ["1.  Introduction"],
    [
        "   This document describes a simple line-oriented protocol for exchanging",
        "   weather observations between stations.  Each observation is sent as a",
        "   single line of text terminated by a carriage return and a line feed.",
    ],
    [
        "   A station that receives an observation it cannot parse MUST ignore it",
        "   and SHOULD log the line for later inspection.",
    ],
]
SHORT_LINES = [
    "Officials said the bridge will reopen on Monday.",
    "Traffic has been diverted through the town centre.",
    "The repairs cost more than expected.",
    "Local shops reported fewer customers.",
    "The council will meet again next week.",
]


def _wrapped(blocks: list[list[str]], nl: str) -> tuple[str, list[str]]:
    text = (nl + nl).join(nl.join(lines) for lines in blocks) + nl
    return text, [nl.join(lines).strip() for lines in blocks]


PARAGRAPH_CASES = [
    pytest.param("\n".join(LONG_LINES) + "\n", LONG_LINES, id="one-paragraph-per-line"),
    pytest.param("\r\n".join(LONG_LINES) + "\r\n", LONG_LINES, id="one-paragraph-per-line-crlf"),
    pytest.param("\n\n".join(LONG_LINES) + "\n", LONG_LINES, id="one-per-line-blank-separated"),
    pytest.param(*_wrapped(WRAPPED, "\n"), id="hard-wrapped"),
    pytest.param(*_wrapped(WRAPPED, "\r\n"), id="hard-wrapped-crlf"),
    pytest.param(*_wrapped(RFC_STYLE, "\n"), id="rfc-indented"),
    pytest.param("\n".join(SHORT_LINES) + "\n", SHORT_LINES, id="short-one-line-paragraphs"),
    pytest.param(
        "\r\n".join(SHORT_LINES) + "\r\n", SHORT_LINES, id="short-one-line-paragraphs-crlf"
    ),
    pytest.param("\n\n".join(SHORT_LINES) + "\n", SHORT_LINES, id="short-lines-blank-separated"),
    pytest.param(
        "\n \n" + "\n\t\n".join(LONG_LINES[:2]) + "\n\n\n", LONG_LINES[:2], id="whitespace-lines"
    ),
]


@pytest.mark.parametrize(("text", "expected"), PARAGRAPH_CASES)
def test_split_paragraphs(text: str, expected: list[str]) -> None:
    paragraphs = split_paragraphs("doc.txt", text)
    assert [p.text for p in paragraphs] == expected
    assert_paragraphs_exact(text, paragraphs)
    assert all(p.source == "doc.txt" for p in paragraphs)


def test_wrapped_paragraph_keeps_its_line_breaks_and_offsets() -> None:
    text, _ = _wrapped(WRAPPED, "\r\n")
    first = split_paragraphs("w.txt", text)[0]
    assert first.start == 0
    assert first.text.count("\r\n") == 2
    assert first.text.endswith("built there.")
    sentences = split_sentences(first)
    assert [s.text for s in sentences] == [
        "The village stood at the head of a long valley, where the road from the\r\n"
        "coast gave out among the stones and the sheep tracks began.",
        "Nobody could\r\nremember when the first houses had been built there.",
    ]
    for s in sentences:
        assert text[s.start : s.end] == s.text


@pytest.mark.parametrize("name", ["Apache-2.0.txt", "Artistic.txt", "CC0-1.0.txt", "MPL-2.0.txt"])
def test_licence_blocks_become_paragraphs(name: str) -> None:
    """In a hard-wrapped file every blank-line-separated block is one paragraph, as a reader
    counts them: wrapped clauses, a heading with its indented definition, a centred title."""
    text = (LICENSES / name).read_text(encoding="utf-8")
    blocks = [b.strip() for b in re.split(r"\n[ \t]*\n", text) if b.strip()]
    paragraphs = split_paragraphs(name, text)
    assert_paragraphs_exact(text, paragraphs)
    assert [p.text for p in paragraphs] == blocks


def test_wrapped_list_items_are_sentences_and_labels_stay_with_their_text() -> None:
    text = (
        "1. Rights. The rights covered include, but are not\n"
        "limited to, the following:\n"
        "  i. the right to copy, adapt and distribute the\n"
        "     work;\n"
        " ii. moral rights of the author; and\n"
        "iii. rights in a database.\n"
    )
    [paragraph] = split_paragraphs("list.txt", text)
    sentences = split_sentences(paragraph)
    assert [s.text.split()[0] for s in sentences] == ["1.", "The", "i.", "ii.", "iii."]
    assert sentences[0].text == "1. Rights."
    assert sentences[2].text.endswith("work;")
    for s in sentences:
        assert text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    "name", [SEED_000, SEED_001, SEED_002, SEED_003, "004_637ea51863777674.txt"]
)
def test_seed_paragraphs_are_its_non_blank_lines(name: str) -> None:
    text = (SEEDS / name).read_text(encoding="utf-8")
    doc = parse_document(name, text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert [p.text for p in doc.paragraphs] == lines
    assert_paragraphs_exact(text, doc.paragraphs)
    for s in doc.sentences:
        assert text[s.start : s.end] == s.text


def test_load_corpus_reads_every_seed() -> None:
    docs = load_corpus(SEEDS)
    assert [d.source for d in docs] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert all(d.sentences for d in docs)


# ---------------------------------------------------------------- corpus folder errors


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("missing", "does not exist — pass --corpus DIR"),
        ("file", "is not a folder — pass --corpus DIR"),
        ("no-txt", "no .txt, .md, .html, .pdf or .docx files in"),
        ("only-unreadable", "no readable .txt, .md, .html, .pdf or .docx files in"),
    ],
)
def test_corpus_folder_errors(tmp_path: Path, layout: str, message: str) -> None:
    folder = tmp_path / "corpus"
    if layout == "file":
        folder.write_text("not a folder")
    elif layout == "no-txt":
        folder.mkdir()
        (folder / "notes.rtf").write_text("Some notes.")
        (folder / ".hidden").mkdir()
        (folder / ".hidden" / "notes.txt").write_text("Hidden folders are not read.")
    elif layout == "only-unreadable":
        folder.mkdir()
        (folder / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
        (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
        (folder / "empty.txt").write_text("  \n\n")
    with pytest.raises(CorpusError, match=re.escape(message)):
        load_corpus(folder)


@pytest.mark.parametrize(
    ("content", "readable"),
    [
        (b"Plain UTF-8 text.\n", True),
        (
            "Caf\u00e9 \u201cquoted\u201d \u0627\u0644\u0639\u0631\u0628\u064a\u0629.\n".encode(),
            True,
        ),
        (b"", False),
        (b" \n\t\n", False),
        (b"binary\x00data", False),
        ("caf\xe9".encode("latin-1"), False),
    ],
)
def test_decode(tmp_path: Path, content: bytes, readable: bool) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(content)
    got = decode(path)
    assert (got is not None) == readable
    if readable:
        assert got == content.decode("utf-8")


def test_list_sources_skips_symlinks_out_of_the_corpus(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("Outside the corpus.")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Inside.")
    (corpus / "B.TXT").write_text("Upper-case suffix.")
    (corpus / "link.txt").symlink_to(outside)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "nested.md").write_text("Nested files are read.")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "notes.txt").write_text("Hidden folders are not.")
    (corpus / "sub" / "out").symlink_to(tmp_path, target_is_directory=True)  # never followed
    found = list_sources(corpus)
    assert [p.relative_to(corpus).as_posix() for p in found] == ["B.TXT", "a.txt", "sub/nested.md"]


# ---------------------------------------------------------------- sentences


def _paragraph(text: str) -> Paragraph:
    return Paragraph("s.txt", 1, 0, len(text), text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "In a statement released on Sunday, U.S. Secretary of State Marco Rubio urged "
            "Syrian authorities to hold the perpetrators of these massacres accountable. Rubio "
            "expressed solidarity with Syria’s religious and ethnic minorities.",
            [
                "In a statement released on Sunday, U.S. Secretary of State Marco Rubio urged "
                "Syrian authorities to hold the perpetrators of these massacres accountable.",
                "Rubio expressed solidarity with Syria’s religious and ethnic minorities.",
            ],
            id="U.S.",
        ),
        pytest.param(
            "Such words would sound hollow to residents, who heard much the same when Gen. "
            "Salim Idriss of the Free Syrian Army visited the front lines last August. Little "
            "changed afterwards.",
            [
                "Such words would sound hollow to residents, who heard much the same when Gen. "
                "Salim Idriss of the Free Syrian Army visited the front lines last August.",
                "Little changed afterwards.",
            ],
            id="Gen.",
        ),
        pytest.param(
            "Rebel fighters pray at the beach of al-Samra in Latakia province near the town of "
            "Kasab March 31, 2014. The Turkish military fired back into Syria on Monday.",
            [
                "Rebel fighters pray at the beach of al-Samra in Latakia province near the town "
                "of Kasab March 31, 2014.",
                "The Turkish military fired back into Syria on Monday.",
            ],
            id="date-at-sentence-end",
        ),
        pytest.param(
            "Rebel fighters pray near the town of Kassab, March 31, 2014. (photo by REUTERS)",
            ["Rebel fighters pray near the town of Kassab, March 31, 2014.", "(photo by REUTERS)"],
            id="caption-credit",
        ),
        pytest.param(
            "Officials met in Washington, D.C. on Friday. They agreed on a U.S.-led plan.",
            ["Officials met in Washington, D.C. on Friday.", "They agreed on a U.S.-led plan."],
            id="D.C.",
        ),
        pytest.param(
            "Casualties rose to 1,000 by Monday. “The world cannot stand by,” he said. Why now?",
            [
                "Casualties rose to 1,000 by Monday.",
                "“The world cannot stand by,” he said.",
                "Why now?",
            ],
            id="quotes-and-question",
        ),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    sentences = split_sentences(_paragraph(text))
    assert [s.text for s in sentences] == expected
    for s in sentences:
        assert text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    ("name", "paragraph", "sentence"),
    [
        (
            SEED_002,
            13,
            "In a statement released on Sunday, U.S. Secretary of State Marco Rubio urged Syrian "
            "authorities to hold the perpetrators of these massacres accountable.",
        ),
        (
            SEED_000,
            4,
            "Rebel fighters pray at the beach of al-Samra in Latakia province near the town of "
            "Kasab March 31, 2014.",
        ),
        (
            SEED_001,
            1,
            "Rebel fighters pray at the beach of al-Samra in Latakia province, near the town of "
            "Kassab, March 31, 2014.",
        ),
    ],
)
def test_seed_sentences_intact(name: str, paragraph: int, sentence: str) -> None:
    doc = seed(name)
    got = [s.text for s in doc.sentences if s.paragraph == paragraph]
    assert sentence in got


@pytest.mark.parametrize("name", [SEED_000, SEED_001])
def test_seed_sentence_with_gen_is_not_split(name: str) -> None:
    doc = seed(name)
    hits = [s.text for s in doc.sentences if "Salim Idriss" in s.text]
    assert len(hits) == 1
    assert "Gen.\xa0Salim" in hits[0] or "Gen. Salim" in hits[0]
    assert hits[0].startswith("Such words would undoubtedly sound hollow")
    assert not any(s.text.endswith("Gen.") for s in doc.sentences)


# ---------------------------------------------------------------- page chrome


def test_seed_000_chrome() -> None:
    doc = seed(SEED_000)
    chrome = {p.number for p in doc.paragraphs if p.chrome}
    assert len(doc.paragraphs) == 61
    assert chrome == {1, *range(16, 62)}
    assert doc.paragraphs[0].text == "Skip to main content"
    assert doc.paragraphs[1].text.startswith("Jihadist attack on Latakia")  # headline: paragraph 2
    assert doc.paragraphs[14].text.startswith("All in all, it appears")  # last article paragraph
    assert doc.paragraphs[15].text.startswith("Join hundreds of Middle East professionals")
    assert {s.paragraph for s in doc.sentences} == set(range(2, 16))


@pytest.mark.parametrize("name", [SEED_002, SEED_003])
def test_clean_articles_have_no_chrome(name: str) -> None:
    doc = seed(name)
    assert not [p.number for p in doc.paragraphs if p.chrome]


NEWS_PAGE = """\
Skip to content

Wexhaven switches on its first tidal power station

The town of Wexhaven switched on its first tidal power station on Tuesday, ending a decade of \
arguments over whether the old harbour could be made to pay for itself.

The station sits inside the Victorian sea wall, where four turbines have been fitted into the \
sluice gates that once drained the marshes. The council says it will supply electricity to about \
4,000 homes when it runs at full capacity.

“The tide comes in twice a day whether we like it or not,” said Maria Keane, the council’s energy \
officer. “For the first time, the harbour is working for the town rather than the other way round.”

Not everyone is convinced. Fishermen who moor inside the wall say the gates have already changed \
the currents at the harbour mouth, and the local fishing association has asked for an independent \
survey.

The project cost 12 million euros, half of it paid by a regional development fund. The council \
expects the station to repay its cost within fifteen years.

A second station, at the mouth of the river Lune, is planned for 2027 if the first one meets its \
targets.

Share this article

More from the Gazette
• Local news
• Weather
• Sport

Subscribe today for just £1 a week
Sign up to our morning newsletter
Already a subscriber? Log in
© 2024 Coastal Gazette. All rights reserved.
"""


@pytest.mark.parametrize(
    "cost",
    [
        "12 million euros",
        # a sum of money in an article paragraph is content, not a subscription price
        "€12 million",
        "$12 million",
    ],
)
def test_synthetic_news_page_chrome(cost: str) -> None:
    text = NEWS_PAGE.replace("12 million euros", cost)
    doc = parse_document("news.txt", text)
    assert_paragraphs_exact(text, doc.paragraphs)
    assert len(doc.paragraphs) == 17
    by_number = {p.number: p for p in doc.paragraphs}
    assert by_number[1].chrome, "the skip-to-content line is chrome"
    kept = [n for n in range(2, 9) if not by_number[n].chrome]
    assert kept == list(range(2, 9)), f"headline and body must be kept: {by_number[7].text!r}"
    footer = [n for n in range(9, 18) if not by_number[n].chrome]
    assert footer == [], "the footer (sharing, bullets, price, sign-up) is chrome"
    assert {s.paragraph for s in doc.sentences} == set(range(2, 9))


@pytest.mark.parametrize("path", sorted(LICENSES.glob("*.txt")), ids=lambda p: p.name)
def test_licences_lose_no_real_content(path: Path) -> None:
    doc = parse_document(path.name, path.read_text(encoding="utf-8"))
    lost = [p.text for p in doc.paragraphs if p.chrome and words(p.text)]
    assert lost == []


def test_apache_title_lines_are_kept() -> None:
    doc = parse_document("Apache-2.0.txt", (LICENSES / "Apache-2.0.txt").read_text())
    kept = [" ".join(p.text.split()) for p in doc.paragraphs if not p.chrome]
    for title in (
        "Apache License",
        "Version 2.0, January 2004",
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "1. Definitions.",
        "END OF TERMS AND CONDITIONS",
        "APPENDIX: How to apply the Apache License to your work.",
    ):
        assert any(title in p for p in kept), title
    assert not any(p.chrome for p in doc.paragraphs)


# ---------------------------------------------------------------- property tests

ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüßçñøåÉ" + ARABIC + "ەڵ"
SPECIAL = [
    "U.S.",
    "Gen.",
    "Dr.",
    "e.g.",
    "3.5",
    "1,000",
    "March 31, 2014,",
    "—",
    "-",
    "…",
    "“quoted”",
    "‘single’",
    "(aside)",
    "#SaveAleppo",
    "@handle",
    "🔻",
    "☦︎ن",
    "$25.00",
    "pic.twitter.com/z4J7k14S1a",
    "al-Sharaa’s",
    "it's",
    '"plain"',
]
token = st.one_of(
    st.text(alphabet=LETTERS + "0123456789", min_size=1, max_size=10),
    st.sampled_from(SPECIAL),
)
gap = st.sampled_from([" ", " ", " ", "\u00a0", "  ", ", ", "; ", ": "])
end = st.sampled_from([".", ".", "!", "?", "…", ".”", "?”", ":", ""])


@st.composite
def sentences(draw: st.DrawFn) -> str:
    toks = draw(st.lists(token, min_size=1, max_size=14))
    gaps = draw(st.lists(gap, min_size=len(toks), max_size=len(toks)))
    body = "".join(t + g for t, g in zip(toks, gaps, strict=True)).rstrip(" \u00a0,;:")
    return (body or "x") + draw(end)


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    sep = draw(st.sampled_from([" ", " ", "\u00a0", "  "]))
    return sep.join(draw(st.lists(sentences(), min_size=1, max_size=5)))


def _wrap(paragraph: str, width: int, indent: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in paragraph.split(" "):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return [indent + line for line in lines if line.strip()]


@st.composite
def documents(draw: st.DrawFn) -> str:
    nl = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    style = draw(st.sampled_from(["lines", "wrapped", "mixed"]))
    paras = draw(st.lists(paragraphs(), min_size=1, max_size=6))
    blank = draw(st.sampled_from(["", " ", "\u00a0", "\t", "\x0c"]))  # \f: RFC page breaks
    width = draw(st.integers(min_value=25, max_value=90))
    indent = draw(st.sampled_from(["", "   "]))
    blocks = []
    for p in paras:
        wrap = style == "wrapped" or (style == "mixed" and draw(st.booleans()))
        blocks.append(nl.join(_wrap(p, width, indent)) if wrap else p)
    between = nl + blank + nl if style != "lines" or draw(st.booleans()) else nl
    head = draw(st.sampled_from(["", nl, blank + nl, "\ufeff"]))
    tail = draw(st.sampled_from(["", nl, nl + nl]))
    return head + between.join(blocks) + tail


def _covered(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> list[int]:
    """Positions in [lo, hi) holding a non-space character that no span covers (a byte-order
    mark is not text: it stays outside paragraph 1)."""
    inside = [False] * (hi - lo)
    for s, e in spans:
        for i in range(max(s, lo), min(e, hi)):
            inside[i - lo] = True
    return [
        lo + i
        for i, ok in enumerate(inside)
        if not ok and not text[lo + i].isspace() and text[lo + i] != "\ufeff"
    ]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_property_offsets_round_trip(text: str) -> None:
    doc = parse_document("gen.txt", text)
    assert doc.paragraphs, "a document with text has paragraphs"
    assert_paragraphs_exact(text, doc.paragraphs)
    # no text is lost between paragraphs
    assert _covered(text, [(p.start, p.end) for p in doc.paragraphs], 0, len(text)) == []
    for p in doc.paragraphs:
        sents = split_sentences(p)
        assert sents, f"paragraph {p.number} has no sentences"
        previous_end = p.start
        for s in sents:
            assert text[s.start : s.end] == s.text
            assert s.text and s.text == s.text.strip()
            assert p.start <= s.start < s.end <= p.end
            assert s.start >= previous_end, "sentences overlap or are out of order"
            assert (s.source, s.paragraph) == (p.source, p.number)
            previous_end = s.end
        assert _covered(text, [(s.start, s.end) for s in sents], p.start, p.end) == []
    expected = [s for p in doc.paragraphs if not p.chrome for s in split_sentences(p)]
    assert list(doc.sentences) == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(paragraphs(), min_size=1, max_size=5), st.sampled_from(["\n", "\r\n"]))
def test_property_long_lines_are_one_paragraph_each(paras: list[str], nl: str) -> None:
    # lines longer than any wrap width are never joined, whatever their content
    filler = " and the report was published in full by the regional authorities."
    lines = [p + filler * 2 for p in paras]
    text = nl.join(lines) + nl
    got = split_paragraphs("long.txt", text)
    assert [p.text for p in got] == [line.strip() for line in lines]
