"""The Host check: requests are served only for the names this server answers for (the
DNS-rebinding defence); `qa serve --allowed-host` names are checked with `check_host_patterns`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send

from qa.serve.wire import ErrorBody, ErrorDetail

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::[0-9]{1,5})?")


def host_name(header: str) -> str | None:
    """The name in a Host header, lower-cased and without its port; None when malformed."""
    match = _HOST.fullmatch(header.strip().lower())
    return match["name"].rstrip(".") if match else None


def check_host_patterns(names: Sequence[str]) -> tuple[str, ...]:
    """Allowed-host names as given by the user: a name, an IP, `[::1]`, `*.example.org` or `*`.
    Raises ValueError for a name with a port or a wildcard anywhere but at the start."""
    checked = []
    for name in names:
        pattern = name.strip().lower().rstrip(".")
        bare = pattern.removeprefix("*.")
        if pattern != "*" and ("*" in bare or host_name(bare) != bare):
            raise ValueError(
                f"{name!r} is not a host name: give a name or IP without port "
                "(example.org, 10.0.0.5, [::1]), *.example.org for its subdomains, or *"
            )
        checked.append(pattern)
    return tuple(checked)


class HostCheck:
    """Serve only requests whose Host header names this server (the DNS-rebinding defence).

    Litestar's own ``allowed_hosts`` matches the header port included (``localhost:8000`` fails
    ``localhost``) and answers with its own body, so this checks the name only, with the same
    patterns (``*.example.org``, ``*``), and answers 400 with the server's usual error body.
    """

    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self.app = app
        self.any = "*" in allowed
        self.names = frozenset(a for a in allowed if not a.startswith("*."))
        self.suffixes = tuple(a[1:] for a in allowed if a.startswith("*."))

    def allows(self, header: str | None) -> bool:
        name = host_name(header) if header is not None else None
        if name is None:
            return self.any
        return self.any or name in self.names or name.endswith(self.suffixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in (ScopeType.HTTP, ScopeType.WEBSOCKET):
            await self.app(scope, receive, send)
            return
        hosts = [v for k, v in scope["headers"] if k == b"host"]
        header = hosts[0].decode("latin-1") if len(hosts) == 1 else None
        if self.allows(header):
            await self.app(scope, receive, send)
            return
        if scope["type"] == ScopeType.WEBSOCKET:
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
            return
        message = (
            "this server does not answer for the Host in the request; "
            "to serve a name, start it with `qa serve --allowed-host NAME`"
        )
        body = msgspec.json.encode(
            ErrorBody(ErrorDetail(message, "invalid_request_error", None, "invalid_host"))
        )
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})
