"""Serving under hostile clients: `qa serve --allowed-host`, slow and idle clients (the Host check
itself: tests/test_hosts.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from serving import in_thread
from slow_clients import measure
from test_server import FakeEngine

import qa.cli.serve
from qa.cli.commands import main
from qa.serve.app import create_app
from qa.serve.connections import h11_with_read_timeout


@pytest.fixture
def served_app(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`qa serve` with a fake engine, stopped where it would call uvicorn: the app and options."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(qa.cli.serve, "_open_engine", lambda *a, **k: FakeEngine())

    def fake_run(app: Litestar, **options: Any) -> None:
        seen.update(options, app=app)

    monkeypatch.setattr("uvicorn.run", fake_run)
    return seen


def test_serve_allowed_host_adds_a_name(served_app: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["serve", "--allowed-host", "qa.example.org"])
    assert result.exit_code == 0, result.output
    with TestClient(served_app["app"], base_url="http://qa.example.org") as c:
        assert c.post("/ask", json={"question": "Who?"}).status_code == 200
        assert c.get("/", headers={"host": "localhost:8000"}).status_code == 200
        assert c.get("/", headers={"host": "other.example.org"}).status_code == 400


@pytest.mark.parametrize("bad", ["example.org:8080", "ex*mple.org", "", "a/b"])
def test_serve_rejects_an_allowed_host_that_is_not_a_name(
    served_app: dict[str, Any], bad: str
) -> None:
    result = CliRunner().invoke(main, ["serve", "--allowed-host", bad])
    assert result.exit_code == 2
    assert "--allowed-host" in result.output
    assert "app" not in served_app


# ---------------------------------------------------------------- slow and idle clients


@pytest.fixture(scope="module")
def strict() -> Iterator[str]:
    """A real server with short limits: 1.5 s to send a request, 1 s keep-alive, 60 connections."""
    options = {"http": h11_with_read_timeout(1.5), "timeout_keep_alive": 1, "limit_concurrency": 60}
    with in_thread(create_app(lambda: FakeEngine(delay=0.01)), **options) as (url, _):
        yield url


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _closed_after(s: socket.socket, limit: float) -> float:
    """Seconds until the server closes ``s`` (reading and dropping what it sends)."""
    started = time.monotonic()
    s.settimeout(limit)
    with suppress(ConnectionResetError):
        while s.recv(4096):
            pass
    return time.monotonic() - started


def test_slow_clients_are_cut_and_others_are_still_served(strict: str) -> None:
    m = measure(strict, connections=50, attack_s=4)
    assert m.opened == 50
    assert m.closed_by_server == 50
    assert m.first_closed_s is not None and m.last_closed_s is not None
    assert m.first_closed_s >= 1.4 and m.last_closed_s <= 3.0
    assert m.attack_failures == 0 and m.attack_requests >= 50
    assert m.attack_p99_ms < 500


@pytest.fixture(scope="module")
def roomy() -> Iterator[str]:
    """The defaults' shape at the issue's counts: 1.5 s to send a request, a cap of 3,000."""
    options = {"http": h11_with_read_timeout(1.5), "limit_concurrency": 3000}
    with in_thread(create_app(lambda: FakeEngine(delay=0.01)), **options) as (url, _):
        yield url


def test_200_slow_clients_do_not_slow_a_normal_one(roomy: str) -> None:
    m = measure(roomy, connections=200, attack_s=4)
    assert m.opened == 200 and m.closed_by_server == 200
    assert m.last_closed_s is not None and m.last_closed_s <= 3.0
    assert m.attack_failures == 0
    assert m.attack_p99_ms <= m.idle_p99_ms + 1000  # the bound: ≤ 1 s above idle


def test_2000_idle_keep_alive_connections_leave_the_server_answering(roomy: str) -> None:
    idle = []
    try:
        for _ in range(2000):  # each sends at once (an opened, silent connection is closed
            s = _connect(roomy)  # after the 1.5-s read timeout, and 2,000 opens can take longer)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            idle.append(s)
        for s in idle:  # each one a kept-alive connection that has had its answer
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
        with httpx.Client(base_url=roomy, timeout=10) as c:
            assert c.post("/ask", json={"question": "Still there?"}).status_code == 200
    finally:
        for s in idle:
            s.close()


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connects and says nothing
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n",  # headers never finished
        b'POST /ask HTTP/1.1\r\nHost: localhost\r\nContent-Length: 40\r\n\r\n{"que',  # body
    ],
    ids=["silent", "headers", "body"],
)
def test_an_unfinished_request_is_closed_after_the_read_timeout(strict: str, sent: bytes) -> None:
    with _connect(strict) as s:
        s.sendall(sent)
        assert 1.3 <= _closed_after(s, 5) <= 2.5


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(strict: str) -> None:
    with _connect(strict) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        assert 0.8 <= _closed_after(s, 5) <= 1.6


def test_the_read_timeout_does_not_cut_a_slow_answer_or_the_next_request() -> None:
    options = {"http": h11_with_read_timeout(0.5), "timeout_keep_alive": 5}
    app = create_app(lambda: FakeEngine(delay=1.0))
    with in_thread(app, **options) as (url, _), httpx.Client(base_url=url, timeout=10) as c:
        for _ in range(2):  # the second on the same connection, after a pause
            assert c.post("/ask", json={"question": "Who?"}).status_code == 200
            time.sleep(0.7)


def test_beyond_max_connections_requests_get_503(strict: str) -> None:
    idle = [_connect(strict) for _ in range(60)]
    try:
        time.sleep(0.2)
        with httpx.Client(base_url=strict, timeout=10) as c:
            assert c.get("/healthz").status_code == 503
    finally:
        for s in idle:
            s.close()
    time.sleep(0.2)
    assert httpx.get(f"{strict}/healthz", timeout=10).status_code == 200


def test_serve_passes_the_connection_limits_to_uvicorn(served_app: dict[str, Any]) -> None:
    args = ["--read-timeout", "3.5", "--keep-alive-timeout", "7", "--max-connections", "99"]
    assert CliRunner().invoke(main, ["serve", *args]).exit_code == 0
    assert served_app["http"].read_timeout == 3.5
    assert served_app["timeout_keep_alive"] == 7
    assert served_app["limit_concurrency"] == 99
    served_app.clear()
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert served_app["http"].read_timeout == 10.0
    assert (served_app["timeout_keep_alive"], served_app["limit_concurrency"]) == (5, 1000)


@pytest.mark.parametrize(
    "args",
    [["--read-timeout", "0"], ["--keep-alive-timeout", "0"], ["--max-connections", "0"]],
)
def test_serve_rejects_unbounded_limits(served_app: dict[str, Any], args: list[str]) -> None:
    assert CliRunner().invoke(main, ["serve", *args]).exit_code == 2
    assert "app" not in served_app
