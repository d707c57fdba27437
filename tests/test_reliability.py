"""Hostile and broken input: every bad request gets a clear 4xx, every bad CLI argument a
one-line error, every unusable corpus file a warning — and the service keeps answering.
Also: the same question gives byte-identical JSON in separate processes."""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import SEEDS, TINY_CORPUS, HashingEncoder, write_corpus
from litestar import Litestar
from litestar.testing import TestClient
from serving import ASK, LOCAL
from test_server import FakeEngine, running

from qa.answer.engine import Engine
from qa.serve.app import create_app
from qa.serve.batching import Limits

MODEL = "qa-extractive"
GOOD = "Who are the co-chairs of the DEM Party?"
JSON = {"content-type": "application/json"}


def chat(*turns: Any, **extra: Any) -> dict[str, Any]:
    roles = ["user", "assistant"]
    messages = [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]
    return {"model": MODEL, "messages": messages, **extra}


def body_of(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# (id, path, body, status, error code, words in the message). Bytes are sent as they are.
BAD_INPUTS: list[tuple[str, str, Any, int, str, str]] = [
    # empty and white space
    ("ask-empty", "/ask", {"question": ""}, 400, "question_rejected", "empty"),
    ("ask-blank", "/ask", {"question": " \t\r\n "}, 400, "question_rejected", "empty"),
    (
        "ask-unicode-blank",
        "/ask",
        {"question": "\u2003\u3000\u2028"},
        400,
        "question_rejected",
        "empty",
    ),
    ("chat-blank", "/v1/chat/completions", chat("   "), 400, "question_rejected", "empty"),
    ("chat-no-content", "/v1/chat/completions", chat(None), 400, "question_rejected", "empty"),
    (
        "chat-image-only",
        "/v1/chat/completions",
        chat([{"type": "image_url"}]),
        400,
        "question_rejected",
        "empty",
    ),
    # too long
    ("ask-1001", "/ask", {"question": "w" * 1001}, 400, "question_rejected", "longer than 1000"),
    (
        "ask-100k",
        "/ask",
        {"question": "why " * 25_000},
        413,
        "request_too_large",
        "larger than 65536",
    ),
    (
        "chat-100k",
        "/v1/chat/completions",
        chat("x" * 100_000),
        413,
        "request_too_large",
        "larger than",
    ),
    # invalid JSON
    ("ask-truncated-json", "/ask", b'{"question": ', 400, "invalid_request", "not valid JSON"),
    (
        "ask-trailing-garbage",
        "/ask",
        b'{"question": "who?"} x',
        400,
        "invalid_request",
        "not valid JSON",
    ),
    (
        "ask-single-quotes",
        "/ask",
        b"{'question': 'who?'}",
        400,
        "invalid_request",
        "not valid JSON",
    ),
    (
        "ask-bom",
        "/ask",
        b'\xef\xbb\xbf{"question": "who?"}',
        400,
        "invalid_request",
        "not valid JSON",
    ),
    (
        "ask-lone-surrogate",
        "/ask",
        b'{"question": "\\ud800?"}',
        400,
        "invalid_request",
        "not valid JSON",
    ),
    ("ask-empty-body", "/ask", b"", 400, "invalid_request", "body is empty"),
    ("chat-blank-body", "/v1/chat/completions", b" \r\n", 400, "invalid_request", "body is empty"),
    (
        "chat-truncated-json",
        "/v1/chat/completions",
        b'{"model": ',
        400,
        "invalid_request",
        "not valid JSON",
    ),
    (
        "chat-nan",
        "/v1/chat/completions",
        b'{"model": NaN}',
        400,
        "invalid_request",
        "not valid JSON",
    ),
    # wrong types
    (
        "ask-question-int",
        "/ask",
        {"question": 5},
        400,
        "invalid_request",
        "Expected `str`, got `int`",
    ),
    ("ask-question-null", "/ask", {"question": None}, 400, "invalid_request", "got `null`"),
    ("ask-question-list", "/ask", {"question": ["who?"]}, 400, "invalid_request", "got `array`"),
    (
        "ask-history-str",
        "/ask",
        {"question": "who?", "history": "x"},
        400,
        "invalid_request",
        "history",
    ),
    (
        "ask-history-ints",
        "/ask",
        {"question": "who?", "history": [1]},
        400,
        "invalid_request",
        "got `int`",
    ),
    ("ask-array-body", "/ask", [], 400, "invalid_request", "Expected `object`, got `array`"),
    ("ask-string-body", "/ask", "who?", 400, "invalid_request", "Expected `object`, got `str`"),
    ("ask-null-body", "/ask", None, 400, "invalid_request", "got `null`"),
    (
        "ask-unknown-field",
        "/ask",
        {"question": "who?", "hsitory": []},
        400,
        "invalid_request",
        "hsitory",
    ),
    (
        "chat-model-int",
        "/v1/chat/completions",
        {"model": 5, "messages": []},
        400,
        "invalid_request",
        "got `int`",
    ),
    (
        "chat-messages-str",
        "/v1/chat/completions",
        chat() | {"messages": "hi"},
        400,
        "invalid_request",
        "got `str`",
    ),
    ("chat-content-int", "/v1/chat/completions", chat(5), 400, "invalid_request", "content"),
    (
        "chat-stream-str",
        "/v1/chat/completions",
        chat("who?", stream="yes"),
        400,
        "invalid_request",
        "stream",
    ),
    (
        "chat-missing-messages",
        "/v1/chat/completions",
        {"model": MODEL},
        400,
        "invalid_request",
        "`messages`",
    ),
    (
        "chat-deep-nesting",
        "/v1/chat/completions",
        b'{"model": "qa-extractive", "messages": ' + nested(10_000) + b"}",
        400,
        "invalid_request",
        "nested too deeply",
    ),
    (
        "ask-deep-nesting",
        "/ask",
        b'{"question": "who?", "x": ' + nested(30_000) + b"}",
        400,
        "invalid_request",
        "nested too deeply",
    ),
    (
        "ask-nesting-900",
        "/ask",
        b'{"question": "who?", "history": ' + nested(900) + b"}",
        400,
        "invalid_request",
        "at `history[0]`",
    ),
    # not UTF-8
    (
        "ask-latin-1",
        "/ask",
        '{"question": "café?"}'.encode("latin-1"),
        400,
        "invalid_encoding",
        "not valid UTF-8",
    ),
    (
        "ask-0xff",
        "/ask",
        b'{"question": "who \xff\xfe?"}',
        400,
        "invalid_encoding",
        "not valid UTF-8",
    ),
    (
        "ask-utf-16",
        "/ask",
        '{"question": "who?"}'.encode("utf-16"),
        400,
        "invalid_encoding",
        "not valid UTF-8",
    ),
    (
        "ask-overlong-utf8",
        "/ask",
        b'{"question": "\xc0\xaf"}',
        400,
        "invalid_encoding",
        "not valid UTF-8",
    ),
    (
        "chat-0xff",
        "/v1/chat/completions",
        b'{"model": "qa-extractive\xff", "messages": []}',
        400,
        "invalid_encoding",
        "not valid UTF-8",
    ),
    # control characters
    ("ask-nul", "/ask", {"question": "a\x00b"}, 400, "question_rejected", "control characters"),
    (
        "ask-bell",
        "/ask",
        {"question": "who\x07 rang?"},
        400,
        "question_rejected",
        "control characters",
    ),
    (
        "ask-ansi-escape",
        "/ask",
        {"question": "\x1b[2Jwho?"},
        400,
        "question_rejected",
        "control characters",
    ),
    ("ask-del", "/ask", {"question": "who\x7f?"}, 400, "question_rejected", "control characters"),
    ("ask-c1", "/ask", {"question": "who\x9b?"}, 400, "question_rejected", "control characters"),
    (
        "chat-nul",
        "/v1/chat/completions",
        chat("who\x00?"),
        400,
        "question_rejected",
        "control characters",
    ),
    # too many messages
    (
        "chat-65-messages",
        "/v1/chat/completions",
        chat(*["who?"] * 65),
        400,
        "too_many_messages",
        "65 > 64",
    ),
    (
        "chat-1000-messages",
        "/v1/chat/completions",
        chat(*["a"] * 1000),
        400,
        "too_many_messages",
        "too many messages",
    ),
    (
        "ask-64-history",
        "/ask",
        {"question": "who?", "history": ["q"] * 64},
        400,
        "too_many_messages",
        "history",
    ),
    ("chat-no-messages", "/v1/chat/completions", chat(), 400, "invalid_messages", "empty"),
    # unknown roles and wrong turn order
    (
        "chat-role-wizard",
        "/v1/chat/completions",
        {"model": MODEL, "messages": [{"role": "wizard", "content": "hi"}]},
        400,
        "invalid_request",
        "wizard",
    ),
    (
        "chat-role-missing",
        "/v1/chat/completions",
        {"model": MODEL, "messages": [{"content": "hi"}]},
        400,
        "invalid_request",
        "role",
    ),
    (
        "chat-role-int",
        "/v1/chat/completions",
        {"model": MODEL, "messages": [{"role": 1, "content": "hi"}]},
        400,
        "invalid_request",
        "role",
    ),
    (
        "chat-role-upper",
        "/v1/chat/completions",
        {"model": MODEL, "messages": [{"role": "USER", "content": "hi"}]},
        400,
        "invalid_request",
        "USER",
    ),
    (
        "chat-last-assistant",
        "/v1/chat/completions",
        chat("who?", "me"),
        400,
        "invalid_messages",
        "last message",
    ),
    (
        "chat-unknown-model",
        "/v1/chat/completions",
        chat("who?") | {"model": "gpt-4o"},
        404,
        "model_not_found",
        "gpt-4o",
    ),
]


@pytest.fixture(scope="module")
def client(seeds_engine: Engine) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(lambda: seeds_engine), base_url=LOCAL) as c:
        yield c


def error_of(response: Any) -> dict[str, Any]:
    assert "Traceback" not in response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    err: dict[str, Any] = body["error"]
    assert err["type"] == "invalid_request_error"
    return err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "body", "status", "code", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in BAD_INPUTS],
)
def test_bad_input_gets_a_clear_4xx(
    client: TestClient[Litestar], path: str, body: Any, status: int, code: str, words: str
) -> None:
    response = client.post(path, content=body_of(body), headers=JSON)
    assert response.status_code == status, response.text
    err = error_of(response)
    assert err["code"] == code
    assert words in err["message"]
    # and the service keeps answering
    assert client.post("/ask", json={"question": GOOD}).status_code == 200


@pytest.mark.slow
def test_a_100k_question_under_a_larger_body_limit_is_still_rejected(seeds_engine: Engine) -> None:
    limits = Limits(max_body_bytes=1 << 20)
    with TestClient(create_app(lambda: seeds_engine, limits=limits), base_url=LOCAL) as c:
        for path, body in [
            ("/ask", {"question": "why " * 25_000}),
            ("/v1/chat/completions", chat("y" * 100_000)),
        ]:
            response = c.post(path, json=body)
            assert response.status_code == 400
            assert "longer than 1000 characters" in error_of(response)["message"]


@pytest.mark.slow
def test_unusable_history_turns_are_skipped_not_fatal(client: TestClient[Litestar]) -> None:
    history = ["", "   ", "\x00\x01", "x" * 5000, "What is the DEM Party?"]
    response = client.post("/ask", json={"question": GOOD, "history": history})
    assert response.status_code == 200
    assert response.json()["question"] == GOOD


# ---------------------------------------------------------------- at the socket


def _raw(url: str, data: bytes, read_timeout: float = 10) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def live_fake() -> Iterator[str]:
    with running(create_app(FakeEngine)) as url:
        yield url


def _chunked(payload: bytes, size: int = 8192) -> bytes:
    parts = [
        f"{len(payload[i : i + size]):x}\r\n".encode() + payload[i : i + size] + b"\r\n"
        for i in range(0, len(payload), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


POST_ASK = b"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
WIRE = [
    pytest.param(
        POST_ASK
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + _chunked(json.dumps({"question": "y" * 100_000}).encode()),
        b"413",
        id="chunked-body-over-the-limit",
    ),
    pytest.param(
        POST_ASK + b"Content-Length: 70000\r\n\r\n" + b" " * 70_000,
        b"413",
        id="declared-length-over-the-limit",
    ),
    pytest.param(b"GARBAGE\r\n\r\n", b"400", id="not-http"),
    pytest.param(
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX: \x00\r\n\r\n", b"400", id="nul-in-header"
    ),
    pytest.param(
        b'POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{"quest',
        b"",
        id="body-cut-short",
    ),
    pytest.param(
        b"GET /healthz HTTP/1.1\r\n" + b"X-Pad: y\r\n" * 2000 + b"\r\n", b"", id="2000-headers"
    ),
]


@pytest.mark.parametrize(("request_bytes", "status"), WIRE)
def test_malformed_http_never_takes_the_server_down(
    live_fake: str, request_bytes: bytes, status: bytes
) -> None:
    reply = _raw(live_fake, request_bytes)
    if status:
        assert reply.split(b" ", 2)[1] == status, reply[:200]
    assert b"Traceback" not in reply
    conn = http.client.HTTPConnection(live_fake.removeprefix("http://"), timeout=10)
    conn.request("POST", "/ask", body=json.dumps({"question": "still there?"}), headers=JSON)
    assert conn.getresponse().status == 200
    conn.close()


# ---------------------------------------------------------------- the CLI


def _run_ask(
    args: list[bytes | str], stdin: bytes | None, index: Path
) -> subprocess.CompletedProcess[bytes]:
    cmd = [*ASK, *args, "--corpus", str(SEEDS), "--index", str(index)]
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=120, check=False)


CLI_INPUTS = [
    pytest.param([" \u3000 "], None, "the question is empty", id="unicode-blank"),
    pytest.param(["why " * 25_000], None, "the question is longer than 1000 characters", id="100k"),
    pytest.param(
        ["\x1b[2J who?"], None, "the question contains control characters", id="ansi-escape"
    ),
    pytest.param(
        [b"who is \xff\xfe?"],
        None,
        "not valid UTF-8",
        id="argv-not-utf8",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "stdin", "message"), CLI_INPUTS)
def test_cli_bad_questions_are_one_line_errors(
    seeds_index_dir: Path, args: list[bytes | str], stdin: bytes | None, message: str
) -> None:
    result = _run_ask(args, stdin, seeds_index_dir)
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("Error: ") and message in err
    assert result.stdout == b""


@pytest.mark.slow
def test_cli_stdin_line_that_is_not_utf8_fails_alone(seeds_index_dir: Path) -> None:
    stdin = f"{GOOD}\n".encode() + b"who is \xff?\n" + f"{GOOD}\n".encode()
    result = _run_ask(["-"], stdin, seeds_index_dir)
    assert "Traceback" not in result.stderr.decode()
    # every output line is valid UTF-8 JSON; the bad line is echoed with U+FFFD for its bytes
    lines = [json.loads(line.decode("utf-8")) for line in result.stdout.splitlines()]
    assert len(lines) == 3 and "answer" in lines[0] and "answer" in lines[2]
    assert lines[1]["question"] == "who is \ufffd?" and "not valid UTF-8" in lines[1]["error"]
    assert result.returncode == 1
    assert lines[1]["error"] == "the question is not valid UTF-8 text"
    assert result.returncode == 1


# ---------------------------------------------------------------- unusable corpus files


def test_indexing_skips_unusable_files_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("The vault code is 7431 and the launch phrase is Blue Heron.\n")
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            **TINY_CORPUS,
            "empty.txt": b"",
            "blank.txt": b" \n\t\n",
            "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "latin1.txt": "Caf\xe9 cr\xe8me is served at the harbour.".encode("latin-1"),
            "utf16.txt": "The ferry is late.".encode("utf-16"),
            "truncated-utf8.txt": "The pier is new. Caf\u00e9".encode()[:-1],
        },
    )
    (corpus / "outside.txt").symlink_to(secret)
    (corpus / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (corpus / "folder.txt").mkdir()
    os.mkfifo(corpus / "pipe.txt")  # reading it would block forever
    (corpus / "archive").mkdir()  # files in sub-folders are read, and a link may point in
    (corpus / "archive" / "pier.txt").write_text("The new pier at Rossmore opened on Friday.\n")
    (corpus / "inside.txt").symlink_to(corpus / "archive" / "pier.txt")

    with caplog.at_level(logging.WARNING, logger="qa"):
        engine = Engine.open(corpus, index_dir=tmp_path / "index", encoder=HashingEncoder())
    sources = set(engine.texts)
    # inside.txt, a link into the corpus, is read too: a copy of archive/pier.txt, which comes
    # first, so only that one has passages
    assert sources == {"lighthouse.txt", "ferry.txt", "archive/pier.txt"}
    warnings = "\n".join(r.getMessage() for r in caplog.records)
    for name, why in [
        ("empty.txt", "empty file"),
        ("blank.txt", "empty file"),
        ("binary.txt", "binary file"),
        ("latin1.txt", "not UTF-8"),
        ("utf16.txt", "binary file"),  # UTF-16 text is full of NUL bytes
        ("truncated-utf8.txt", "not UTF-8"),
        ("outside.txt", "symlink points outside the corpus"),
    ]:
        assert f"skipping {name}: {why}" in warnings, warnings
    answer = engine.ask("What is the vault code and the launch phrase?")
    shown = json.dumps(answer.to_dict())
    assert "7431" not in shown and "Blue Heron" not in shown
    assert all(c.source != "outside.txt" for c in answer.citations + answer.related)


# ---------------------------------------------------------------- determinism


QUESTIONS = [
    GOOD,
    "From which city did Mazloum Abdi issue his warning?",
    "Who is Syria's interim president?",
    "How many police officers were killed in the ambush near Latakia?",
    "What is the capital of Peru?",
    "Who condemned the Kassab offensive?",
]


@pytest.mark.slow
def test_the_same_question_gives_byte_identical_json_across_processes(
    seeds_index_dir: Path,
) -> None:
    stdin = ("\n".join(QUESTIONS) + "\n").encode()
    runs = []
    for seed in ("1", "2", "random"):  # hash randomisation differs in every process
        cmd = [*ASK, "-", "--corpus", str(SEEDS), "--index", str(seeds_index_dir)]
        env = {**os.environ, "PYTHONHASHSEED": seed} if seed != "random" else dict(os.environ)
        env.pop("PYTHONHASHSEED", None) if seed == "random" else None
        done = subprocess.run(
            cmd, input=stdin, capture_output=True, env=env, timeout=120, check=True
        )
        runs.append(done.stdout)
    one = [
        subprocess.run(
            [*ASK, "--json", q, "--corpus", str(SEEDS), "--index", str(seeds_index_dir)],
            capture_output=True,
            timeout=120,
            check=True,
        ).stdout
        for q in QUESTIONS[:2]
    ]
    assert runs[0] == runs[1] == runs[2]
    lines = runs[0].splitlines(keepends=True)
    assert len(lines) == len(QUESTIONS)
    assert one == lines[:2]  # one question per process gives the same bytes as a stream
    answers = [json.loads(line) for line in lines]
    assert any(not a["abstained"] for a in answers) and any(a["abstained"] for a in answers)
