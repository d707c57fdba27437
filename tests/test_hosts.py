"""The Host check (the DNS-rebinding defence): foreign Host headers get a 400 with the usual error
body, loopback names are served with any port, wildcards allow subdomains only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from serving import LOCAL
from test_server import FakeEngine

from qa.serve.app import create_app
from qa.serve.hosts import host_name

# every kind of route: the page, the API (POST and GET), a citation source, health
ROUTES = [
    ("GET", "/", None),
    ("POST", "/ask", {"question": "Who built it?"}),
    (
        "POST",
        "/v1/chat/completions",
        {"model": "qa-extractive", "messages": [{"role": "user", "content": "Who?"}]},
    ),
    ("GET", "/v1/models", None),
    ("GET", "/sources/a.txt/0", None),
    ("GET", "/healthz", None),
]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(FakeEngine), base_url=LOCAL) as c:
        yield c


def _send(client: TestClient[Litestar], method: str, path: str, body: Any, host: str) -> Any:
    return client.request(method, path, json=body, headers={"host": host})


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "localhost.evil.example", "127.0.0.1.nip.io", ""]
)
def test_a_foreign_host_gets_400_with_the_usual_error_body(
    client: TestClient[Litestar], method: str, path: str, body: Any, host: str
) -> None:
    r = _send(client, method, path, body, host)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    error = r.json()["error"]
    assert error["code"] == "invalid_host"
    assert error["type"] == "invalid_request_error"
    assert "--allowed-host" in error["message"]


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8000",
        "LOCALHOST:1",
        "127.0.0.1",
        "127.0.0.1:65535",
        "[::1]",
        "[::1]:8000",
    ],
)
@pytest.mark.parametrize(("method", "path", "body"), [ROUTES[0], ROUTES[1], ROUTES[2]])
def test_loopback_hosts_are_served_with_any_port(
    client: TestClient[Litestar], method: str, path: str, body: Any, host: str
) -> None:
    assert _send(client, method, path, body, host).status_code == 200


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:8000", "localhost"),
        ("[::1]:80", "[::1]"),
        ("Example.ORG.", "example.org"),
        ("a:b:c", None),
        ("[::1", None),
        ("host:99999999", None),
        ("", None),
    ],
)
def test_host_name_drops_the_port_and_rejects_malformed_headers(
    header: str, name: str | None
) -> None:
    assert host_name(header) == name


def test_wildcards_allow_subdomains_only() -> None:
    app = create_app(FakeEngine, allowed_hosts=["*.example.org"])
    with TestClient(app, base_url="http://qa.example.org") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "a.b.example.org:443"}).status_code == 200
        assert c.get("/", headers={"host": "example.org"}).status_code == 400
        assert c.get("/", headers={"host": "localhost"}).status_code == 400  # replaced, not added
        assert c.get("/", headers={"host": "evilexample.org"}).status_code == 400
