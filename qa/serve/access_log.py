"""Logging and timing: one JSON access-log line per request with the engine's stage timings,
which responses also return (`Server-Timing`), and the `qa serve` log set-up (`log_to`).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from typing import IO

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

TIMINGS = "qa.timings_ms"  # scope-state key: the handler's stage timings, read by the access log
STAGES = ("embed", "retrieve", "compose", "queue")

log = logging.getLogger("qa.server")  # the server's log, sent by `log_to` beside the access log
access_log = logging.getLogger("qa.access")


def server_timing(timings: Mapping[str, float]) -> str:
    return ", ".join(f"{k};dur={timings[k]:.3f}" for k in STAGES if k in timings)


class AccessLog:
    """One JSON line per request: method, path, status, duration and the engine's stage timings.

    Wraps the whole ASGI handler (like litestar's CORS middleware), so requests that match no
    route are logged too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (b"x-content-type-options", b"nosniff")]
                message = {**message, "headers": headers}  # type: ignore[typeddict-item]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            timings: Mapping[str, float] = scope.get("state", {}).get(TIMINGS, {})
            line = {
                "event": "request",
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                **{f"{k}_ms": timings.get(k) for k in STAGES},
            }
            access_log.info(json.dumps(line, ensure_ascii=False))


def log_to(stream: IO[str] = sys.stderr) -> None:
    """Send the access log, one JSON object per line, to ``stream`` (the `qa serve` set-up)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for logger in (access_log, log):
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
