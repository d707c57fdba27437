"""The HTTP service: litestar's TestClient for the routes and errors, a real uvicorn server on
127.0.0.1 for the openai SDK, streaming, concurrency and `qa serve`."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from click.testing import CliRunner
from fakes import DIRECTOR, DIRECTOR_QUESTION, OBSERVATORY, ScriptedEngine, observatory_answer
from litestar import Litestar
from litestar.testing import TestClient
from serving import LOCAL, in_thread

from qa.answer.engine import Engine
from qa.cli.commands import main
from qa.core.errors import QuestionRejected
from qa.core.types import Answer, Citation, Paragraph
from qa.serve.app import create_app
from qa.serve.batching import Limits

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
MODELS = PROJECT / "index" / "models"
MODEL = "qa-extractive"
slow = pytest.mark.slow

QUESTIONS = [
    "Who are the co-chairs of the DEM Party?",
    "From which city did Mazloum Abdi issue his warning?",
    "What is the capital of Peru?",  # off-topic: abstains, with the nearest passages
]


# ---------------------------------------------------------------- fixtures


@contextmanager
def running(app: Litestar) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    with in_thread(app) as (url, _):
        yield url


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seeds-index")
    Engine.open(SEEDS, index_dir=folder, models_dir=MODELS)
    return folder


@pytest.fixture(scope="module")
def engine(index_dir: Path) -> Engine:
    return Engine.open(SEEDS, index_dir=index_dir, models_dir=MODELS)


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(lambda: engine), base_url=LOCAL) as c:
        yield c


@pytest.fixture(scope="module")
def live(engine: Engine) -> Iterator[tuple[str, Litestar]]:
    # these tests check answers and batching; shedding under load is tests/test_overload.py's
    app = create_app(lambda: engine, limits=Limits(deadline_s=60))
    with running(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def sdk(live: tuple[str, Litestar]) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live[0]}/v1", api_key="unused", max_retries=0, timeout=30)


@pytest.fixture(scope="module")
def cli_answers(index_dir: Path) -> dict[str, dict[str, Any]]:
    """`ask --json` for every question of this module, from one CLI run (stdin mode)."""
    questions = [*QUESTIONS, "Who condemned the Kassab offensive?"]
    result = CliRunner().invoke(
        main,
        ["ask", "-", "--corpus", str(SEEDS), "--index", str(index_dir)],
        input="\n".join(questions) + "\n",
    )
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    return {a["question"]: a for a in answers}


def without_timings(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "timings_ms"}


def chat(*turns: str) -> dict[str, Any]:
    """A chat request; turns alternate user, assistant, user …"""
    roles = ["user", "assistant"]
    messages = [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]
    return {"model": MODEL, "messages": messages}


# ---------------------------------------------------------------- a fake engine


def _answer(question: str) -> Answer:
    quote = f"An answer to {question}"
    cite = Citation("a.txt", 1, 0, len(quote), quote)
    timings = {"embed": 1.0, "retrieve": 2.0, "compose": 3.0}
    return Answer(question, quote, False, 0.9, (cite,), (), "fake-v1", timings_ms=timings)


class FakeEngine:
    """Answers every question by echoing it; "boom" raises; ``delay`` seconds per batch."""

    index_version = "fake-v1"

    def __init__(self, delay: float = 0.0, error: Exception | None = None) -> None:
        self.texts = {"a.txt": "An answer."}
        self.delay = delay
        self.error = error
        self.batches: list[list[str]] = []

    def ask_many(self, questions: Sequence[str]) -> list[Answer]:
        self.batches.append(list(questions))
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        if any("boom" in q for q in questions):
            raise QuestionRejected("boom is not a question")
        return [_answer(q) for q in questions]

    def paragraph(self, source: str, number: int) -> Paragraph:
        raise AssertionError("not used")


# ---------------------------------------------------------------- the routes


@slow
def test_models_health_ready_and_openapi(client: TestClient[Litestar], engine: Engine) -> None:
    models = client.get("/v1/models").json()
    assert [m["id"] for m in models["data"]] == [MODEL]
    assert models["object"] == "list"
    assert client.get(f"/v1/models/{MODEL}").json()["id"] == MODEL
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["index_version"] == engine.index_version
    assert ready["sources"] == len(engine.texts)
    schema = client.get("/schema/openapi.json").json()
    for path in ["/v1/chat/completions", "/v1/models", "/ask", "/sources/{source}/{paragraph}"]:
        assert path in schema["paths"]


@slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_ask_returns_the_cli_json(
    client: TestClient[Litestar], cli_answers: dict[str, dict[str, Any]], question: str
) -> None:
    response = client.post("/ask", json={"question": question})
    assert response.status_code == 200
    body = response.json()
    assert without_timings(body) == cli_answers[question]
    assert set(body["timings_ms"]) >= {"embed", "retrieve", "compose"}
    assert "retrieve;dur=" in response.headers["server-timing"]


@slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_chat_completion_carries_the_cli_citations(
    client: TestClient[Litestar], cli_answers: dict[str, dict[str, Any]], question: str
) -> None:
    body = client.post("/v1/chat/completions", json=chat(question)).json()
    expected = cli_answers[question]
    assert body["object"] == "chat.completion"
    assert body["citations"] == expected["citations"]
    assert body["related"] == expected["related"]
    assert body["abstained"] is expected["abstained"]
    content = body["choices"][0]["message"]["content"]
    if expected["abstained"]:
        assert content.startswith("The sources don't answer this question")
        assert "[1]" in content
    else:
        for n, c in enumerate(expected["citations"], 1):
            assert f"[{n}] {c['source']} ¶{c['paragraph']}" in content
            assert " ".join(c["quote"].split()) + f" [{n}]" in content


@slow
def test_sources_give_the_cited_paragraph(client: TestClient[Litestar]) -> None:
    answer = client.post("/ask", json={"question": QUESTIONS[0]}).json()
    for c in answer["citations"]:
        p = client.get(f"/sources/{c['source']}/{c['paragraph']}").json()
        assert (p["source"], p["paragraph"]) == (c["source"], c["paragraph"])
        assert p["start"] <= c["start"] < c["end"] <= p["end"]
        assert p["text"][c["start"] - p["start"] : c["end"] - p["start"]] == c["quote"]


@slow
def test_the_page_is_self_contained(client: TestClient[Litestar]) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'id="question"' in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert html.count(f'nonce="{nonce}"') == 2  # the one style and the one script


# ---------------------------------------------------------------- errors


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert "Traceback" not in response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    err: dict[str, Any] = body["error"]
    return err


TOO_MANY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}] * 65}
ERRORS = [
    ("/v1/chat/completions", b'{"model": ', 400, "invalid_request", "not valid JSON"),
    ("/v1/chat/completions", b"{}", 400, "invalid_request", "missing required field"),
    ("/v1/chat/completions", {"model": MODEL}, 400, "invalid_request", "`messages`"),
    ("/v1/chat/completions", chat("hi") | {"model": "gpt-4o"}, 404, "model_not_found", "gpt-4o"),
    ("/v1/chat/completions", chat("hi") | {"messages": []}, 400, "invalid_messages", "empty"),
    ("/v1/chat/completions", chat("hi", "hello"), 400, "invalid_messages", "last message"),
    (
        "/v1/chat/completions",
        {"model": MODEL, "messages": [{"role": "wizard", "content": "hi"}]},
        400,
        "invalid_request",
        "wizard",
    ),
    ("/v1/chat/completions", chat("   "), 400, "question_rejected", "empty"),
    ("/v1/chat/completions", chat("why " * 300), 400, "question_rejected", "longer than 1000"),
    ("/v1/chat/completions", TOO_MANY, 400, "too_many_messages", "too many messages"),
    ("/v1/chat/completions", chat("x" * 70_000), 413, "request_too_large", "larger than"),
    ("/ask", {"question": "who?", "hsitory": []}, 400, "invalid_request", "hsitory"),
    ("/ask", {"history": []}, 400, "invalid_request", "`question`"),
    ("/ask", {"question": "a\x00b"}, 400, "question_rejected", "control characters"),
    ("/ask", {"question": "who?", "history": ["q"] * 64}, 400, "too_many_messages", "history"),
]


@slow
@pytest.mark.parametrize(("path", "body", "status", "code", "message"), ERRORS)
def test_bad_requests_get_openai_style_errors(
    client: TestClient[Litestar], path: str, body: Any, status: int, code: str, message: str
) -> None:
    if isinstance(body, bytes):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = client.post(path, json=body)
    assert response.status_code == status
    err = error_of(response)
    assert err["code"] == code
    assert message in err["message"]
    assert err["type"] == "invalid_request_error"


@slow
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/sources/000_af464d22616ba6fd.txt/0", 404),
        ("GET", "/sources/000_af464d22616ba6fd.txt/9999", 404),
        ("GET", "/sources/000_af464d22616ba6fd.txt/one", 404),
        ("GET", "/sources/missing.txt/1", 404),
        ("DELETE", "/ask", 405),
        ("GET", "/v1/chat/completions", 405),
        ("GET", "/v1/models/gpt-4o", 404),
    ],
)
def test_unknown_things_get_4xx(
    client: TestClient[Litestar], method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert error_of(response)["type"] == "invalid_request_error"


TRAVERSALS = [
    "/sources/../seeds/SHA256SUMS/1",
    "/sources/SHA256SUMS/1",  # in the corpus folder, but not a corpus text
    "/sources/..%2F..%2Fetc%2Fpasswd/1",
    "/sources/%2e%2e%2f%2e%2e%2fetc%2fpasswd/1",
    "/sources/%252e%252e%252fetc%252fpasswd/1",
    "/sources/%2Fetc%2Fpasswd/1",
    "/sources//etc/passwd/1",
    "/sources/..%5C..%5Cetc%5Cpasswd/1",
    "/sources/000_af464d22616ba6fd.txt%00/1",
    "/sources/%2E%2E/1",
    f"/sources/{SEEDS.resolve() / '000_af464d22616ba6fd.txt'}/1",
]


@slow
@pytest.mark.parametrize("path", TRAVERSALS)
def test_sources_never_leave_the_corpus(live: tuple[str, Litestar], path: str) -> None:
    """Raw request lines (no client-side normalising) against the real server."""
    host, port = live[0].removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    assert response.status == 404
    assert "root:" not in body and "Traceback" not in body
    assert json.loads(body)["error"]["code"] == "not_found"


def test_unexpected_errors_are_500_without_a_traceback() -> None:
    engine = FakeEngine(error=RuntimeError("secret internals"))
    with TestClient(create_app(lambda: engine), base_url=LOCAL) as c:
        response = c.post("/ask", json={"question": "who?"})
        engine.error = None
        later = c.post("/ask", json={"question": "who?"})
    assert response.status_code == 500
    err = error_of(response)
    assert err["type"] == "server_error"
    assert "secret internals" not in response.text
    assert later.status_code == 200  # the batcher outlives a failing batch


def test_api_key_guards_the_api_but_not_the_probes() -> None:
    with TestClient(create_app(FakeEngine, api_key="s3cret"), base_url=LOCAL) as c:
        for path in ["/v1/models", "/sources/a.txt/1"]:
            response = c.get(path)
            assert response.status_code == 401
            assert error_of(response)["code"] == "invalid_api_key"
            assert response.headers["www-authenticate"] == "Bearer"
        wrong = c.post("/ask", json={"question": "who?"}, headers={"Authorization": "Bearer no"})
        assert wrong.status_code == 401
        right = c.post(
            "/ask", json={"question": "who?"}, headers={"Authorization": "Bearer s3cret"}
        )
        assert right.status_code == 200
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 200


# ---------------------------------------------------------------- the openai SDK, live


@slow
def test_openai_sdk_plain(sdk: openai.OpenAI, cli_answers: dict[str, dict[str, Any]]) -> None:
    question = QUESTIONS[0]
    completion = sdk.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Answer from the articles."},
            {"role": "user", "content": question},
        ],
        temperature=0,
    )
    assert completion.model == MODEL
    assert completion.choices[0].finish_reason == "stop"
    content = completion.choices[0].message.content or ""
    assert "[1]" in content and "Sources" in content
    extra = completion.model_extra or {}
    assert extra["citations"] == cli_answers[question]["citations"]
    assert extra["citations"]


@slow
def test_openai_sdk_streaming(sdk: openai.OpenAI, client: TestClient[Litestar]) -> None:
    question = QUESTIONS[1]
    plain = client.post("/v1/chat/completions", json=chat(question)).json()
    stream = sdk.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": question}], stream=True
    )
    chunks = list(stream)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain["choices"][0]["message"]["content"]
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == plain["citations"]
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])


@slow
def test_stream_is_standard_sse(live: tuple[str, Litestar]) -> None:
    body = chat(QUESTIONS[2]) | {"stream": True}
    with httpx.stream("POST", f"{live[0]}/v1/chat/completions", json=body, timeout=30) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = r.read().decode()
    events = [e for e in raw.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    final = json.loads(events[-2].removeprefix("data: "))
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["abstained"] is True and final["citations"] == [] and final["related"]


@slow
def test_openai_sdk_errors(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as not_found:
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert not_found.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": " "}])
    assert bad.value.code == "question_rejected"
    assert [m.id for m in sdk.models.list()] == [MODEL]


@slow
def test_multi_turn_follow_up(
    sdk: openai.OpenAI, client: TestClient[Litestar], cli_answers: dict[str, dict[str, Any]]
) -> None:
    first = "What is the Kassab offensive?"
    reply = sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": first}])
    completion = sdk.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "user", "content": first},
            {"role": "assistant", "content": reply.choices[0].message.content or ""},
            {"role": "user", "content": [{"type": "text", "text": "And who condemned it?"}]},
        ],
    )
    extra = completion.model_extra or {}
    standalone = "Who condemned the Kassab offensive?"
    assert extra["rewritten_query"] == standalone
    assert f"Searched: “{standalone}”" in (completion.choices[0].message.content or "")
    assert extra["citations"] == cli_answers[standalone]["citations"]
    assert any("Kassab offensive" in c["quote"] for c in extra["citations"])

    body = client.post("/ask", json={"question": "And who condemned it?", "history": [first]})
    answer = body.json()
    assert answer["question"] == "And who condemned it?"
    assert answer["rewritten_query"] == standalone
    expected = cli_answers[standalone]
    assert without_timings(answer) == expected | {
        "question": "And who condemned it?",
        "rewritten_query": standalone,
    }


# ---------------------------------------------------------------- concurrency and batching


@slow
def test_concurrent_requests_are_all_answered_correctly(
    live: tuple[str, Litestar], engine: Engine
) -> None:
    questions = [*QUESTIONS, "Who is Syria's interim president?"] * 8  # 32 requests
    expected = {q: engine.ask(q).to_dict() for q in set(questions)}
    batcher = live[1].state.qa.batcher
    before = sum(batcher.sizes.values())

    async def ask_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live[0], timeout=60) as c:
            return await asyncio.gather(*(c.post("/ask", json={"question": q}) for q in questions))

    responses = asyncio.run(ask_all())
    assert [r.status_code for r in responses] == [200] * len(questions)
    for q, r in zip(questions, responses, strict=True):
        assert without_timings(r.json()) == expected[q]
    batches = sum(batcher.sizes.values()) - before
    assert batches < len(questions)  # several questions shared an encoder batch
    assert max(batcher.sizes) > 1


def test_slow_answers_do_not_block_the_event_loop() -> None:
    engine = FakeEngine(delay=0.5)
    with running(create_app(lambda: engine)) as url:

        async def probe() -> tuple[float, int]:
            async with httpx.AsyncClient(base_url=url, timeout=10) as c:
                slow_ask = asyncio.create_task(c.post("/ask", json={"question": "who?"}))
                await asyncio.sleep(0.1)  # the batch is now running in its thread
                started = time.perf_counter()
                health = await c.get("/healthz")
                waited = time.perf_counter() - started
                assert (await slow_ask).status_code == 200
                return waited, health.status_code

        waited, status = asyncio.run(probe())
    assert status == 200
    assert waited < 0.3


def test_limits_are_configurable() -> None:
    limits = Limits(max_body_bytes=2000, max_messages=2, max_question_chars=20)
    with TestClient(create_app(FakeEngine, limits=limits), base_url=LOCAL) as c:
        long = c.post("/ask", json={"question": "why " * 10})
        assert long.status_code == 400 and "longer than 20" in error_of(long)["message"]
        many = c.post("/v1/chat/completions", json=chat("a?", "b", "c?"))
        assert many.status_code == 400 and error_of(many)["code"] == "too_many_messages"
        big = c.post("/ask", json={"question": "who?", "history": ["x" * 3000]})
        assert big.status_code == 413


# ---------------------------------------------------------------- short answers


@pytest.fixture
def scripted() -> Iterator[tuple[TestClient[Litestar], ScriptedEngine]]:
    engine = ScriptedEngine()
    with TestClient(create_app(lambda: engine), base_url=LOCAL) as c:
        yield c, engine


QUOTES = "Its director is Rami Abdulrahman, a Coventry-based activist. [1] He has run it from "
SHORT = {"text": DIRECTOR, "source": OBSERVATORY, "start": 202, "end": 218}


def sse_chunks(client: TestClient[Litestar], body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/v1/chat/completions", json=body | {"stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [e.removeprefix("data: ") for e in response.text.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def test_ask_returns_the_short_answer(
    scripted: tuple[TestClient[Litestar], ScriptedEngine],
) -> None:
    client, engine = scripted
    body = client.post("/ask", json={"question": DIRECTOR_QUESTION}).json()
    assert list(body)[:3] == ["question", "answer", "short_answer"]
    assert body["short_answer"] == SHORT
    assert without_timings(body) == engine.answer.to_dict()
    engine.answer = observatory_answer(short=False)
    body = client.post("/ask", json={"question": DIRECTOR_QUESTION}).json()
    assert body["short_answer"] is None and "short_answer" in body


def test_chat_content_leads_with_the_short_answer(
    scripted: tuple[TestClient[Litestar], ScriptedEngine],
) -> None:
    client, engine = scripted
    body = client.post("/v1/chat/completions", json=chat(DIRECTOR_QUESTION)).json()
    content = body["choices"][0]["message"]["content"]
    assert content.startswith(f"**{DIRECTOR}**\n\n{QUOTES}")
    assert body["short_answer"] == SHORT
    assert body["citations"] == [c.to_dict() for c in engine.answer.citations]

    engine.answer = observatory_answer(short=False)
    plain = client.post("/v1/chat/completions", json=chat(DIRECTOR_QUESTION)).json()
    assert plain["choices"][0]["message"]["content"] == content.removeprefix(f"**{DIRECTOR}**\n\n")
    assert plain["short_answer"] is None
    assert plain["citations"] == body["citations"]


def test_streamed_chat_leads_with_the_short_answer(
    scripted: tuple[TestClient[Litestar], ScriptedEngine],
) -> None:
    client, engine = scripted
    whole = client.post("/v1/chat/completions", json=chat(DIRECTOR_QUESTION)).json()
    chunks = sse_chunks(client, chat(DIRECTOR_QUESTION))
    deltas = [c["choices"][0]["delta"].get("content") for c in chunks]
    assert deltas[:2] == ["", f"**{DIRECTOR}**\n\n"]
    assert "".join(d or "" for d in deltas) == whole["choices"][0]["message"]["content"]
    *body, last = chunks
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["short_answer"] == SHORT and last["citations"] == whole["citations"]
    assert all("short_answer" not in c and "citations" not in c for c in body)

    engine.answer = observatory_answer(short=False)
    chunks = sse_chunks(client, chat(DIRECTOR_QUESTION))
    assert chunks[1]["choices"][0]["delta"]["content"].startswith("Its director is")
    assert "short_answer" not in chunks[-1] and chunks[-1]["citations"] == whole["citations"]


def test_openapi_documents_the_short_answer(
    scripted: tuple[TestClient[Litestar], ScriptedEngine],
) -> None:
    client, _ = scripted
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    assert set(schemas["ShortAnswerBody"]["properties"]) == {"text", "source", "start", "end"}
    for name in ("AskResponse", "ChatCompletion"):
        assert "short_answer" in schemas[name]["required"], name
        field = json.dumps(schemas[name]["properties"]["short_answer"])
        assert "#/components/schemas/ShortAnswerBody" in field and '"null"' in field, field


# ---------------------------------------------------------------- qa serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@slow
def test_qa_serve_command(index_dir: Path, cli_answers: dict[str, dict[str, Any]]) -> None:
    port = _free_port()
    cmd = [sys.executable, "-c", "from qa.cli.commands import main; main()", "serve"]
    cmd += ["--port", str(port), "--corpus", str(SEEDS), "--index", str(index_dir)]
    env = {**os.environ, "QA_API_KEY": "k"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "qa serve did not come up"
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        question = QUESTIONS[0]
        assert httpx.post(f"{url}/ask", json={"question": question}).status_code == 401
        response = httpx.post(
            f"{url}/ask", json={"question": question}, headers={"Authorization": "Bearer k"}
        )
        assert without_timings(response.json()) == cli_answers[question]
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    lines = [json.loads(x) for x in stderr.splitlines() if x.startswith("{")]
    asked = [x for x in lines if x["path"] == "/ask" and x["status"] == 200]
    assert len(asked) == 1
    assert asked[0]["retrieve_ms"] > 0 and asked[0]["compose_ms"] > 0
