"""Connection-level limits of `qa serve`, below the app: how long a client may take to send a
request, how long an idle keep-alive connection stays open, how many connections are served.

uvicorn (0.54) bounds an idle keep-alive connection (``timeout_keep_alive``, armed when a
response completes) and answers 503 beyond ``limit_concurrency`` open connections or tasks, but
has no deadline on *reading* a request: a connection that never completes its headers — sent one
byte a second, or nothing at all after connecting — stays open for as long as the client likes.
`ReadTimeoutH11Protocol` adds that deadline to uvicorn's h11 protocol. The defaults are
`qa serve`'s options (imported only when it serves: uvicorn takes 0.1 s to import).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request (line, headers and body) is not
    all received within ``read_timeout`` seconds of connecting, or of the request's first byte
    on a kept-alive connection. Nothing is sent: the client was not done asking."""

    read_timeout: float = 10.0  # `qa serve --read-timeout` sets it (`h11_with_read_timeout`)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE or self.conn.their_state is h11.SEND_BODY:
            self._arm()  # the request is still arriving (a no-op while the deadline runs)
        else:
            self._disarm()  # all of it is in (or the connection is closing)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self.read_deadline is None and not self.transport.is_closing():
            self.read_deadline = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm(self) -> None:
        if self.read_deadline is not None:
            self.read_deadline.cancel()
            self.read_deadline = None

    def _read_timed_out(self) -> None:
        self.read_deadline = None
        state = self.conn.their_state
        if (state is h11.IDLE or state is h11.SEND_BODY) and not self.transport.is_closing():
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True  # a handler reading the body sees a disconnect
            self.transport.close()


def h11_with_read_timeout(seconds: float) -> type[H11Protocol]:
    """The protocol class to give uvicorn (``http=``) for a read timeout of ``seconds``."""
    return type("ReadTimeoutH11Protocol", (ReadTimeoutH11Protocol,), {"read_timeout": seconds})
