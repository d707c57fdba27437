"""The chat page end to end in a real headless Chromium (Debian's /usr/bin/chromium, driven by
playwright): ask, read the answer, click a citation, see the quote highlighted in its paragraph.
The short-answer tests serve a scripted engine (no model, not slow). Screenshots go to
tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fakes import DIRECTOR, DIRECTOR_QUESTION, ScriptedEngine, observatory_answer
from hypothesis import HealthCheck, given, settings
from litestar import Litestar
from playwright.sync_api import Browser, Page, expect, sync_playwright
from serving import ask_in_page
from test_server import MODELS, SEEDS, running
from test_short_answer import Case, cases

from qa.answer.engine import Engine
from qa.serve.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

slow = pytest.mark.slow


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("seeds-index")
    engine = Engine.open(SEEDS, index_dir=folder, models_dir=MODELS)
    app: Litestar = create_app(lambda: engine)
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no {CHROMIUM} — `make browser` installs Debian's")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@contextmanager
def open_page(browser: Browser, base_url: str) -> Iterator[Page]:
    """The chat page, ready; on leaving, nothing was loaded from elsewhere and nothing failed."""
    context = browser.new_context(viewport={"width": 1280, "height": 820})
    page = context.new_page()
    outside: list[str] = []
    problems: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((base_url, "data:")) else outside.append(r.url),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(30_000)
    try:
        page.goto(base_url + "/")
        page.wait_for_selector("body[data-ready='1']")
        yield page
    finally:
        context.close()
    assert outside == [], "the page must not load anything from elsewhere"
    assert problems == [], "the page logged errors"


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    with open_page(browser, base_url) as page:
        yield page


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[str, ScriptedEngine]]:
    """A real server on 127.0.0.1 over a ScriptedEngine: answers with short answers, no model."""
    engine = ScriptedEngine()
    with running(create_app(lambda: engine)) as url:
        yield url, engine


@pytest.fixture
def scripted_page(browser: Browser, scripted: tuple[str, ScriptedEngine]) -> Iterator[Page]:
    url, engine = scripted
    fresh = ScriptedEngine()  # undo what an earlier test scripted
    engine.answer, engine.texts, engine.paragraphs = fresh.answer, fresh.texts, fresh.paragraphs
    with open_page(browser, url) as page:
        yield page


ask = ask_in_page


def flat(text: str) -> str:
    return " ".join(text.split())


@slow
def test_ask_click_a_citation_and_see_it_highlighted(page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    first = ask(page, "Who are the co-chairs of the DEM Party?")
    assert not first["abstained"]
    answer = page.locator(".msg.assistant").last
    assert flat(answer.locator(".answer").inner_text()).startswith(
        flat(first["citations"][0]["quote"])
    )

    follow = ask(page, "What did they condemn?")
    assert follow["rewritten_query"] == "What did the co-chairs of the DEM Party condemn?"
    answer = page.locator(".msg.assistant").last
    assert follow["rewritten_query"] in answer.locator(".searched").inner_text()
    citation = follow["citations"][0]
    answer.locator(".answer button.cite").first.click()
    mark = page.locator("#highlight")
    mark.wait_for()
    assert flat(mark.inner_text()) == flat(citation["quote"])
    paragraph = flat(page.locator("#passage-text").inner_text())
    assert flat(citation["quote"]) in paragraph and len(paragraph) > len(flat(citation["quote"]))
    assert citation["source"] in page.locator("#passage-title").inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-citation.png"))


@slow
def test_abstentions_show_the_nearest_passages(page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    body = ask(page, "What is the capital of Peru?")
    assert body["abstained"] and body["related"]
    answer = page.locator(".msg.assistant").last
    assert "don't answer" in answer.locator(".abstain").inner_text()
    buttons = answer.locator("button.cite")
    assert buttons.count() == len(body["related"])
    buttons.first.click()
    page.locator("#highlight").wait_for()
    assert flat(page.locator("#highlight").inner_text()) == flat(body["related"][0]["quote"])
    page.screenshot(path=str(ARTIFACTS / "chat-abstention.png"))


@slow
def test_new_forgets_the_conversation(page: Page) -> None:
    ask(page, "Who are the co-chairs of the DEM Party?")
    page.click("#new")
    assert page.locator(".msg").count() == 0
    body = ask(page, "What did they condemn?")
    assert "rewritten_query" not in body  # nothing earlier to refer to
    assert page.locator(".msg.assistant .searched").count() == 0


# ---------------------------------------------------------------- the short answer (no model)

# The code-point offset of the short answer's mark inside the paragraph shown, counted the way
# the server counts (Python str indices), whatever the page's UTF-16 strings do.
MARK_OFFSET = """() => {
  const text = document.getElementById("passage-text");
  const mark = text.querySelector("mark.short");
  const range = document.createRange();
  range.setStart(text, 0);
  range.setEndBefore(mark);
  return Array.from(range.toString()).length;
}"""


def test_short_answer_on_top_and_highlighted(
    scripted_page: Page, scripted: tuple[str, ScriptedEngine]
) -> None:
    page, engine = scripted_page, scripted[1]
    ARTIFACTS.mkdir(exist_ok=True)
    body = ask(page, DIRECTOR_QUESTION)
    short = body["short_answer"]
    assert short["text"] == DIRECTOR
    answer = page.locator(".msg.assistant").last
    assert answer.locator(".short-answer").inner_text() == DIRECTOR
    # inside the quote of citation [1] (only there), and the quotes read as before
    assert answer.locator(".answer mark.short").inner_text() == DIRECTOR
    assert answer.locator("mark").count() == 1
    assert flat(answer.locator(".answer").inner_text()) == (
        "Its director is Rami Abdulrahman, a Coventry-based activist.[1] "
        "He has run it from Coventry since 2006.[2]"
    )

    answer.locator(".answer button.cite").first.click()
    inner = page.locator("#highlight mark.short")
    inner.wait_for()
    assert inner.inner_text() == DIRECTOR
    assert page.locator("#highlight").inner_text() == body["citations"][0]["quote"]
    # the second "Rami Abdulrahman" of the paragraph, at the short answer's own offsets
    paragraph = engine.paragraph(short["source"], body["citations"][0]["paragraph"])
    assert page.evaluate(MARK_OFFSET) == short["start"] - paragraph.start
    page.screenshot(path=str(ARTIFACTS / "chat-short-answer.png"))

    # the sources list's [1] marks it too; citation [2] does not hold it
    answer.locator(".sources button.cite").first.click()
    page.locator("#highlight mark.short").wait_for()
    answer.locator(".answer button.cite").nth(1).click()
    expect(page.locator("#highlight")).to_have_text(body["citations"][1]["quote"])
    assert page.locator("#passage mark.short").count() == 0

    engine.answer = observatory_answer(short=False)
    body = ask(page, DIRECTOR_QUESTION)
    assert body["short_answer"] is None
    answer = page.locator(".msg.assistant").last
    assert answer.locator(".short-answer").count() == 0
    assert answer.locator("mark").count() == 0
    answer.locator(".answer button.cite").first.click()
    page.locator("#highlight").wait_for()
    assert page.locator("#passage mark.short").count() == 0


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_short_answer_text_is_shown_verbatim(
    scripted_page: Page, scripted: tuple[str, ScriptedEngine], case: Case
) -> None:
    """Random texts (curly quotes, no-break spaces, accents, other scripts, hyphens, emoji): the
    short answer is shown, and marked in quote [1] and in its paragraph, character for character."""
    page, engine = scripted_page, scripted[1]
    engine.answer, engine.texts, engine.paragraphs = case.answer, case.texts, [case.paragraph]
    page.click("#new")
    body = ask(page, "Who is it?")
    text = case.answer.short_answer.text if case.answer.short_answer else None
    assert text is not None and body["short_answer"]["text"] == text
    answer = page.locator(".msg.assistant").last
    assert answer.locator(".short-answer").text_content() == text
    assert answer.locator(".answer mark.short").text_content() == text
    answer.locator(".answer button.cite").first.click()
    # attached, not visible: a short answer of zero-width characters (a lone combining mark)
    # has no box to be visible in; its text is what is checked
    page.locator("#highlight mark.short").wait_for(state="attached")
    assert page.locator("#highlight mark.short").text_content() == text
    assert page.locator("#highlight").text_content() == case.answer.citations[0].quote
    assert page.locator("#passage-text").text_content() == case.paragraph.text
    assert page.evaluate(MARK_OFFSET) == case.answer.short_answer.start - case.paragraph.start
