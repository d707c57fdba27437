"""Security: /sources never leaves the corpus, the API key is checked the way OpenAI clients
send it and never logged, `qa serve` listens on 127.0.0.1 by default, and corpus text full of
HTML stays inert in the chat page (checked in headless Chromium)."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import psutil
import pytest
from click.testing import CliRunner
from fakes import SEEDS, TINY_CORPUS, HashingEncoder, write_corpus
from playwright.sync_api import Page, expect, sync_playwright
from serving import Served, ask_in_page, in_thread, qa_serve
from test_browser import ARGS, CHROMIUM

from qa.answer.engine import Engine
from qa.answer.render import render
from qa.cli.commands import main
from qa.index.embedding import OnnxEncoder
from qa.serve.app import create_app

MODEL = "qa-extractive"
KEY = "sk-qa-test-Th1sIsTheSecretKey-7f3a"
WRONG = "sk-qa-test-WrongKeyAlsoSecret-91bd"
SECRET = "TOPSECRET-4471-do-not-serve"


def raw_get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """A request line sent as it is: no client-side normalising or re-encoding of the path."""
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


# ---------------------------------------------------------------- path traversal


@pytest.fixture(scope="module")
def beside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server over a corpus with a secret file beside it and a symlink pointing at it."""
    root = tmp_path_factory.mktemp("traversal")
    (root / "secret.txt").write_text(f"The password is {SECRET}.\n")
    corpus = write_corpus(root / "corpus", dict(TINY_CORPUS))
    (corpus / "link.txt").symlink_to(root / "secret.txt")
    (corpus / "notes.rtf").write_text(f"Not a corpus text: {SECRET}\n")
    engine = Engine.open(corpus, index_dir=root / "index", encoder=HashingEncoder())
    with in_thread(create_app(lambda: engine)) as (url, _):
        yield url, root


def _traversals(root: Path) -> list[str]:
    absolute = str(root / "secret.txt")
    enc = absolute.replace("/", "%2F")
    return [
        "/sources/../secret.txt/1",
        "/sources/..%2Fsecret.txt/1",
        "/sources/..%2fsecret.txt/1",
        "/sources/%2e%2e%2fsecret.txt/1",
        "/sources/%2E%2E%2Fsecret.txt/1",
        "/sources/%2e%2e/secret.txt/1",
        "/sources/.%2e/secret.txt/1",
        "/sources/%252e%252e%252fsecret.txt/1",  # double-encoded
        "/sources/..%252fsecret.txt/1",
        "/sources/%25252e%25252e%25252fsecret.txt/1",  # triple-encoded
        "/sources/..%5Csecret.txt/1",  # backslash
        "/sources/..\\secret.txt/1",
        "/sources/%c0%ae%c0%ae%c0%afsecret.txt/1",  # overlong UTF-8
        "/sources/%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret.txt/1",  # full-width dots and slash
        "/sources/....//secret.txt/1",
        "/sources/..;/secret.txt/1",
        "/sources/lighthouse.txt/../../secret.txt/1",
        "/sources/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd/1",
        "/sources/%2Fetc%2Fpasswd/1",
        "/sources//etc/passwd/1",
        f"/sources/{enc}/1",  # absolute, encoded
        f"/sources/{absolute}/1",  # absolute
        f"/sources/file:{absolute}/1",
        "/sources/link.txt/1",  # a symlink out of the corpus
        "/sources/notes.rtf/1",  # in the corpus folder, not a corpus text
        "/sources/lighthouse.txt%00/1",
        "/sources/lighthouse.txt%00.md/1",
        "/sources/./lighthouse.txt/1",
        "/sources/%2e/lighthouse.txt/1",
        "/sources/..%2Findex%2Fcurrent%2Fmanifest.json/1",
        "/sources/~/1",
        "/sources/%7e%2f.ssh%2fid_rsa/1",
    ]


def _source_traversals(root: Path) -> list[str]:
    """The same names asked of GET /source?name= (the whole text of a source)."""
    out = []
    for path in _traversals(root):
        name = path.removeprefix("/sources/").removesuffix("/1")
        out.append(f"/source?name={name}")
    return out


def test_traversal_attempts_are_404_and_never_leak(beside: tuple[str, Path]) -> None:
    url, root = beside
    status, body = raw_get(url, "/sources/lighthouse.txt/1")  # the control: a real paragraph
    assert status == 200 and "Carrow Point" in body
    status, body = raw_get(url, "/source?name=lighthouse.txt")  # … and a real source
    assert status == 200 and "Carrow Point" in body
    tried = 0
    for path in _traversals(root) + _source_traversals(root):
        status, body = raw_get(url, path)
        assert status == 404, (path, status, body)
        assert SECRET not in body and "root:" not in body and "Traceback" not in body
        assert json.loads(body)["error"]["code"] == "not_found", path
        tried += 1
    assert tried >= 60


# ---------------------------------------------------------------- the API key


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, seeds_index_dir: Path) -> Iterator[Served]:
    """`qa serve` with the key in QA_API_KEY, as a service manager would pass it."""
    log = tmp_path_factory.mktemp("keyed") / "serve.log"
    with qa_serve(SEEDS, seeds_index_dir, log, env={"QA_API_KEY": KEY}) as served:
        yield served


@pytest.mark.slow
def test_openai_clients_authenticate_with_the_key(keyed: Served) -> None:
    right = openai.OpenAI(base_url=f"{keyed.url}/v1", api_key=KEY, max_retries=0, timeout=30)
    completion = right.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Who is Syria's interim president?"}]
    )
    assert completion.choices[0].message.content
    assert [m.id for m in right.models.list()] == [MODEL]
    wrong = openai.OpenAI(base_url=f"{keyed.url}/v1", api_key=WRONG, max_retries=0, timeout=30)
    with pytest.raises(openai.AuthenticationError) as denied:
        wrong.models.list()
    assert denied.value.status_code == 401 and denied.value.code == "invalid_api_key"
    assert WRONG not in str(denied.value.body)


AUTH_HEADERS = [
    pytest.param({}, 401, id="none"),
    pytest.param({"Authorization": f"Bearer {KEY}"}, 200, id="bearer"),
    pytest.param({"Authorization": f"bearer {KEY}"}, 200, id="lower-case-scheme"),
    pytest.param({"Authorization": f"BEARER  {KEY} "}, 200, id="upper-case-and-spaces"),
    pytest.param({"Authorization": f"Bearer {WRONG}"}, 401, id="wrong"),
    pytest.param({"Authorization": f"Bearer {KEY[:-1]}"}, 401, id="prefix"),
    pytest.param({"Authorization": f"Bearer {KEY}x"}, 401, id="longer"),
    pytest.param({"Authorization": KEY}, 401, id="no-scheme"),
    pytest.param({"Authorization": "Bearer"}, 401, id="scheme-only"),
    pytest.param({"Authorization": f"Basic {KEY}"}, 401, id="basic"),
    pytest.param({"Authorization": "Bearer \xe9t\xe9"}, 401, id="latin-1-bytes"),
    pytest.param({"X-Api-Key": KEY}, 401, id="other-header"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("headers", "status"), AUTH_HEADERS)
def test_the_key_is_checked_as_a_bearer_token(
    keyed: Served, headers: dict[str, str], status: int
) -> None:
    for path in ["/v1/models", "/sources/000_af464d22616ba6fd.txt/1"]:
        got, body = raw_get(keyed.url, path, headers)
        assert got == status, (path, body)
        if status == 401:
            assert json.loads(body)["error"]["code"] == "invalid_api_key"
    got, _ = raw_get(keyed.url, f"/v1/models?api_key={KEY}")  # keys in URLs end up in logs
    assert got == 401


@pytest.mark.slow
def test_probes_page_and_schema_need_no_key(keyed: Served) -> None:
    for path in ["/healthz", "/readyz", "/", "/schema/openapi.json"]:
        response = httpx.get(keyed.url + path)
        assert response.status_code == 200, path
        assert KEY not in response.text
    schema = httpx.get(keyed.url + "/schema/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


@pytest.mark.slow
def test_no_secret_reaches_the_log(keyed: Served) -> None:
    for key in (KEY, WRONG):
        headers = {"Authorization": f"Bearer {key}"}
        httpx.post(f"{keyed.url}/ask", json={"question": "who?"}, headers=headers)
        httpx.post(f"{keyed.url}/ask", content=b"{not json", headers=headers)
        httpx.get(f"{keyed.url}/nowhere", headers=headers)
    # a path built to forge a log line: every line stays one JSON object of our own
    raw_get(keyed.url, '/x%0A{"event":"forged"}%0D%0A')
    log = keyed.log_text()
    assert KEY not in log and WRONG not in log and "Bearer" not in log
    lines = [line for line in log.splitlines() if line.startswith("{")]
    assert len(lines) >= 7
    assert all(json.loads(line)["event"] == "request" for line in lines)


@pytest.mark.slow
def test_api_key_option_and_loopback_default(tmp_path: Path, seeds_index_dir: Path) -> None:
    option = next(p for p in main.commands["serve"].params if p.name == "host")
    assert option.default == "127.0.0.1"
    with qa_serve(SEEDS, seeds_index_dir, tmp_path / "serve.log", ["--api-key", KEY]) as served:
        listening = [
            c.laddr
            for c in psutil.Process(served.proc.pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        ]
        assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening
        assert httpx.get(f"{served.url}/v1/models").status_code == 401
        ok = httpx.get(f"{served.url}/v1/models", headers={"Authorization": f"Bearer {KEY}"})
        assert ok.status_code == 200
        assert "server" not in ok.headers  # no software banner
        assert ok.headers["x-content-type-options"] == "nosniff"
        code = served.stop()
    assert code in (0, -15)  # uvicorn re-raises SIGTERM once it has drained
    log = served.log_text()
    assert "Application shutdown complete." in log and KEY not in log
    result = CliRunner().invoke(main, ["serve", "--help"], env={"QA_API_KEY": KEY})
    assert KEY not in result.output and "QA_API_KEY" in result.output


# ---------------------------------------------------------------- HTML in the corpus


def test_templates_autoescape() -> None:
    evil = '"><script>window.__xss = 4</script><img src=x onerror="window.__xss=5">'
    html = render(
        "chat.html",
        nonce="n0nce",
        model_id=evil,
        index_version=evil,
        sources=1,
        key_required=False,
    )
    assert "<script>window.__xss" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__xss = 4&lt;/script&gt;" in html


# Payloads set a global flag (no dots in them, so the sentence splitter keeps each whole).
HOSTILE = {
    "harbour.txt": (
        "The Rossmore harbour master is Aoife Keane <script>__xss = 1</script> and "
        "she was appointed in March.\n\n"
        'The Inishcarrow regatta starts at noon <img src=x onerror="__xss = 2"> on the first '
        "Sunday of August.\n"
    ),
    '<img src=x onerror="__xss=3">.txt': (
        'The harbour cat of Rossmore is called Marmalade <b onmouseover="__xss=6">'
        "and sleeps on the pier.</b>\n"
    ),
}


@pytest.fixture(scope="module")
def hostile_url(
    tmp_path_factory: pytest.TempPathFactory, onnx_encoder: OnnxEncoder
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("hostile")
    corpus = write_corpus(root / "corpus", {**TINY_CORPUS, **HOSTILE})
    engine = Engine.open(corpus, index_dir=root / "index", encoder=onnx_encoder)
    with in_thread(create_app(lambda: engine)) as (url, _):
        yield url


@pytest.fixture(scope="module")
def chromium_page(hostile_url: str) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # The page's Content-Security-Policy would block inline handlers anyway; with it
        # bypassed, these tests show the markup is inert because it is never parsed as HTML.
        page = browser.new_context(bypass_csp=True).new_page()
        page.set_default_timeout(30_000)
        page.goto(hostile_url + "/")
        page.wait_for_selector("body[data-ready='1']")
        yield page
        browser.close()


_ask = ask_in_page


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "markup"),
    [
        ("Who is the Rossmore harbour master?", "<script>__xss = 1</script>"),
        ("When does the Inishcarrow regatta start?", '<img src=x onerror="__xss = 2">'),
        ("What is the harbour cat of Rossmore called?", "<b onmouseover="),
    ],
)
def test_html_in_the_corpus_renders_inert_in_chromium(
    chromium_page: Page, question: str, markup: str
) -> None:
    page = chromium_page
    body = _ask(page, question)
    shown = body["related"] if body["abstained"] else body["citations"]
    assert any(markup in c["quote"] for c in shown), body  # the markup came back as text...
    answer = page.locator(".msg.assistant").last
    assert markup.split(" ")[0] in answer.inner_text()  # ...and is shown as text
    answer.locator("button.cite").first.click()
    expect(page.locator("#passage-text")).to_contain_text(markup)
    assert page.locator("#log img, #log script, #log b, #passage img, #passage b").count() == 0
    page.hover("#passage-text")
    assert page.evaluate("window.__xss") is None


@pytest.mark.slow
def test_html_in_a_question_and_a_file_name_renders_inert(chromium_page: Page) -> None:
    page = chromium_page
    question = 'Where does the harbour cat sleep? <img src=x onerror="__xss=7">'
    body = _ask(page, question)
    assert page.locator(".msg.user").last.inner_text() == question
    cited = body["related"] if body["abstained"] else body["citations"]
    evil_name = next(iter(k for k in HOSTILE if k.startswith("<img")))
    sources = [c["source"] for c in cited]
    assert evil_name in sources, sources
    page.locator(".msg.assistant").last.locator("button.cite").nth(sources.index(evil_name)).click()
    expect(page.locator("#passage-title")).to_have_text(evil_name)
    expect(page.locator("#passage-text")).to_contain_text("Marmalade")
    assert page.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None
    os.makedirs(Path(__file__).parent / "artifacts", exist_ok=True)
    page.screenshot(path=str(Path(__file__).parent / "artifacts" / "xss-inert.png"))
