"""Markdown, HTML, PDF and Word sources (qa.ingest.formats): one article rendered into every format
by eval/article.py (generated here, never downloaded) gives the same sentences, with the format's
own locator (page, heading path, text fragment), and every citation checks against the text stored
with the build."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import HashingEncoder

from eval import article
from qa.answer.engine import Engine
from qa.cli.commands import main
from qa.core.types import Document
from qa.ingest.corpus import document_of, load_corpus
from qa.ingest.formats import Block, assemble, clean, text_fragment_link
from qa.ingest.formats.pdf import join_lines

TITLE_PATH = (article.TITLE,)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return article.write_all(tmp_path_factory.mktemp("article"))


def _doc(rendered: dict[str, Path], fmt: str) -> Document:
    path = rendered[fmt]
    doc = document_of(f"{fmt}/{path.name}", path.read_bytes())
    assert doc is not None
    return doc


@pytest.mark.parametrize("fmt", article.FORMATS)
def test_every_sentence_of_the_article_is_a_sentence_of_the_document(
    rendered: dict[str, Path], fmt: str
) -> None:
    doc = _doc(rendered, fmt)
    sentences = {s.text for s in doc.sentences}
    for text in article.paragraphs():
        assert text in sentences, (fmt, text)
    for s in doc.sentences:  # offsets into the stored text
        assert doc.text[s.start : s.end] == s.text
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text
    # headings are paragraphs of their own
    assert [p.text for p in doc.paragraphs[:2]] == [article.TITLE, article.SECTIONS[0][0]]


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_heading_paths(rendered: dict[str, Path], fmt: str) -> None:
    doc = _doc(rendered, fmt)
    by_text = {p.text: p for p in doc.paragraphs}
    for heading, paras in article.SECTIONS:
        for text in paras:
            assert by_text[text].headings == (*TITLE_PATH, heading), (fmt, text)
        assert by_text[text].page is None


def test_pdf_pages_and_chrome(rendered: dict[str, Path]) -> None:
    doc = _doc(rendered, "pdf")
    pages = {p.text: p.page for p in doc.paragraphs}
    for k, (_, paras) in enumerate(article.SECTIONS, start=1):
        assert {pages[text] for text in paras} == {k}
    texts = [p.text for p in doc.paragraphs]
    # the running header and the page numbers are dropped as chrome
    assert "Coastal Heritage Weekly" not in texts
    assert not any(re.fullmatch(r"\d+", t) for t in texts)
    assert len(texts) == len(article.paragraphs()) + 1 + len(article.SECTIONS)


def test_pdf_hyphenation_and_page_breaks() -> None:
    data = article.pdf_from_lines(
        [
            ["The keepers climbed the one hundred and twelve", "steps of the light-"],
            ["house forty times in a single night.", "", "A second paragraph ends here."],
            ["A third page with one paragraph."],
        ]
    )
    doc = document_of("lines.pdf", data)
    assert doc is not None
    assert [(p.text, p.page) for p in doc.paragraphs] == [
        (
            "The keepers climbed the one hundred and twelve steps of the lighthouse forty "
            "times in a single night.",
            1,
        ),
        ("A second paragraph ends here.", 2),
        ("A third page with one paragraph.", 3),
    ]


def test_markdown_markup_and_code(rendered: dict[str, Path]) -> None:
    doc = _doc(rendered, "md")
    assert "**" not in doc.text
    assert "print('code blocks are paragraphs too')" in [p.text for p in doc.paragraphs]


def test_html_keeps_the_main_content_only(rendered: dict[str, Path]) -> None:
    doc = _doc(rendered, "html")
    for chrome in ("Sign in", "Subscribe", "All rights reserved", "tracking"):
        assert chrome not in doc.text


def test_word_tables_are_flattened(rendered: dict[str, Path]) -> None:
    doc = _doc(rendered, "docx")
    assert "Built | 1847" in [p.text for p in doc.paragraphs]


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["The light-", "house stood."], "The lighthouse stood."),
        (["Ninety-", "Nine Steps"], "Ninety- Nine Steps"),  # upper case goes on: not a hyphenation
        (["a line", "", "  next  "], "a line next"),
        (["ends with 12-", "14 May"], "ends with 12- 14 May"),
        (["Soﬁe's ofﬁce", "and the ﬂag"], "Sofie's office and the flag"),  # ligatures spelled out
    ],
)
def test_join_lines(lines: list[str], joined: str) -> None:
    assert join_lines(lines) == joined


def test_assemble_heading_paths() -> None:
    blocks = [
        Block("Title", level=1),
        Block("Intro text."),
        Block("Part A", level=2),
        Block("A1", level=3),
        Block("Text under A1."),
        Block("Part B", level=2),
        Block("  spaced \u00ad  out\x00 text  "),
    ]
    text, paragraphs = assemble("x.md", blocks)
    assert [p.headings for p in paragraphs] == [
        ("Title",),
        ("Title",),
        ("Title", "Part A"),
        ("Title", "Part A", "A1"),
        ("Title", "Part A", "A1"),
        ("Title", "Part B"),
        ("Title", "Part B"),
    ]
    assert paragraphs[-1].text == "spaced out text" == clean(blocks[-1].text)
    assert all(text[p.start : p.end] == p.text for p in paragraphs)


@pytest.mark.parametrize(
    ("quote", "link"),
    [
        (
            "Short quote, with a dash-here.",
            "a%20b.html#:~:text=Short%20quote%2C%20with%20a%20dash%2Dhere.",
        ),
        (
            "one two three four five six seven eight nine ten eleven",
            "a%20b.html#:~:text=one%20two%20three%20four,eight%20nine%20ten%20eleven",
        ),
    ],
)
def test_text_fragment_link(quote: str, link: str) -> None:
    assert text_fragment_link("a b.html", quote) == link


# ---------------------------------------------------------------- answering from every format


@pytest.mark.parametrize("fmt", article.FORMATS)
def test_each_format_answers_with_the_same_sentence(
    rendered: dict[str, Path], fmt: str, tmp_path: Path
) -> None:
    corpus = rendered[fmt].parent
    engine = Engine.open(corpus, index_dir=tmp_path / "index", encoder=HashingEncoder())
    source = rendered[fmt].name
    for question, sentence, heading in article.QUESTIONS:
        answer = engine.ask(question)
        cited = (answer.citations or answer.related)[0]
        assert sentence in cited.quote, (fmt, question, cited.quote)
        assert cited.source == source
        assert engine.texts[source][cited.start : cited.end] == cited.quote
        d = cited.to_dict()
        if fmt in ("md", "html", "docx"):
            assert d["headings"] == [article.TITLE, heading]
        else:
            assert "headings" not in d
        if fmt == "pdf":
            assert d["page"] == [h for h, _ in article.SECTIONS].index(heading) + 1
        else:
            assert "page" not in d
        if fmt == "html":
            assert d["link"].startswith(f"{source}#:~:text=")
            first = sentence.split()[0]
            assert d["link"].split("=", 1)[1].startswith(first)
        else:
            assert "link" not in d
    view = engine.source(source)
    if fmt == "txt":
        assert view.text == rendered[fmt].read_text()


def test_mixed_corpus_links_copies_across_formats(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    corpus = rendered["txt"].parent.parent  # five sub-folders, one format each
    engine = Engine.open(corpus, index_dir=tmp_path / "index", encoder=HashingEncoder())
    assert sorted(engine.texts) == sorted(f"{f}/{p.name}" for f, p in rendered.items())
    question, sentence, _ = article.QUESTIONS[1]
    cited = (engine.ask(question).citations or engine.ask(question).related)[0]
    assert sentence in cited.quote
    copies = {c.source.split("/")[0] for c in cited.also_in}
    assert copies == set(article.FORMATS) - {cited.source.split("/")[0]}
    for copy in cited.also_in:
        assert sentence in engine.texts[copy.source][copy.start : copy.end]


def test_qa_show(rendered: dict[str, Path], tmp_path: Path) -> None:
    corpus = rendered["txt"].parent.parent
    index = tmp_path / "index"
    Engine.open(corpus, index_dir=index, encoder=HashingEncoder())
    runner = CliRunner()
    args = ["--corpus", str(corpus), "--index", str(index)]
    shown = runner.invoke(main, ["show", "pdf/velmora.pdf", *args])
    assert shown.exit_code == 0, shown.output
    assert article.SECTIONS[1][1][1] in shown.stdout
    assert "Coastal Heritage Weekly" not in shown.stdout
    as_json = runner.invoke(main, ["show", "--json", "docx/velmora.docx", *args])
    body = json.loads(as_json.stdout)
    assert body["format"] == "docx" and body["source"] == "docx/velmora.docx"
    third = body["paragraphs"][2]
    assert body["text"][third["start"] : third["end"]] == article.SECTIONS[0][1][0]
    assert third["headings"] == [article.TITLE, "Origins"]
    txt = runner.invoke(main, ["show", "txt/velmora.txt", *args])
    assert txt.stdout == rendered["txt"].read_text()
    missing = runner.invoke(main, ["show", "../secret.txt", *args])
    assert missing.exit_code == 1
    assert missing.stderr.strip().startswith("Error: no source named '../secret.txt'")
    no_index = runner.invoke(
        main, ["show", "a.txt", "--corpus", str(corpus), "--index", str(tmp_path / "none")]
    )
    assert no_index.exit_code == 1 and "no index in" in no_index.stderr


def test_load_corpus_reads_every_format(rendered: dict[str, Path]) -> None:
    corpus = rendered["txt"].parent.parent
    docs = load_corpus(corpus)
    assert [d.source for d in docs] == sorted(f"{f}/velmora.{f}" for f in article.FORMATS)


def test_source_route(rendered: dict[str, Path], tmp_path: Path) -> None:
    from litestar.testing import TestClient

    from qa.serve.app import create_app

    corpus = rendered["txt"].parent.parent
    engine = Engine.open(corpus, index_dir=tmp_path / "index", encoder=HashingEncoder())
    with TestClient(create_app(lambda: engine), base_url="http://127.0.0.1") as client:
        body = client.get("/source", params={"name": "pdf/velmora.pdf"}).json()
        assert body["format"] == "pdf"
        pages = {body["text"][p["start"] : p["end"]]: p.get("page") for p in body["paragraphs"]}
        assert pages[article.SECTIONS[1][1][0]] == 2
        answer = client.post("/ask", json={"question": article.QUESTIONS[0][0]}).json()
        for c in answer["citations"] + answer["related"]:
            text = client.get("/source", params={"name": c["source"]}).json()["text"]
            assert text[c["start"] : c["end"]] == c["quote"]
        missing = client.get("/source", params={"name": "pdf/other.pdf"})
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
