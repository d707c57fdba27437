"""The chat page end to end in a real headless Chromium (Debian's /usr/bin/chromium, driven by
playwright): ask, read the answer, click a citation, see the quote highlighted in its paragraph.
Screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from playwright.sync_api import Browser, Page, sync_playwright
from serving import ask_in_page
from test_server import MODELS, SEEDS, running

from qa.engine import Engine
from qa.server import create_app

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

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("seeds-index")
    engine = Engine.open(SEEDS, index_dir=folder, models_dir=MODELS)
    app: Litestar = create_app(lambda: engine)
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
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
    page.goto(base_url + "/")
    page.wait_for_selector("body[data-ready='1']")
    yield page
    context.close()
    assert outside == [], "the page must not load anything from elsewhere"
    assert problems == [], "the page logged errors"


ask = ask_in_page


def flat(text: str) -> str:
    return " ".join(text.split())


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
    mark = page.locator("#passage mark")
    mark.wait_for()
    assert flat(mark.inner_text()) == flat(citation["quote"])
    paragraph = flat(page.locator("#passage-text").inner_text())
    assert flat(citation["quote"]) in paragraph and len(paragraph) > len(flat(citation["quote"]))
    assert citation["source"] in page.locator("#passage-title").inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-citation.png"))


def test_abstentions_show_the_nearest_passages(page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    body = ask(page, "What is the capital of Peru?")
    assert body["abstained"] and body["related"]
    answer = page.locator(".msg.assistant").last
    assert "don't answer" in answer.locator(".abstain").inner_text()
    buttons = answer.locator("button.cite")
    assert buttons.count() == len(body["related"])
    buttons.first.click()
    page.locator("#passage mark").wait_for()
    assert flat(page.locator("#passage mark").inner_text()) == flat(body["related"][0]["quote"])
    page.screenshot(path=str(ARTIFACTS / "chat-abstention.png"))


def test_new_forgets_the_conversation(page: Page) -> None:
    ask(page, "Who are the co-chairs of the DEM Party?")
    page.click("#new")
    assert page.locator(".msg").count() == 0
    body = ask(page, "What did they condemn?")
    assert "rewritten_query" not in body  # nothing earlier to refer to
    assert page.locator(".msg.assistant .searched").count() == 0
