"""Helpers for tests that run `qa serve` (or `qa index`) as a real process on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

# the base URL of litestar TestClients: a host the server answers for (loopback by default)
LOCAL = "http://127.0.0.1"

QA = [sys.executable, "-c", "from qa.cli.commands import main; main()"]
ASK = [sys.executable, "-c", "from qa.cli.commands import ask_main; ask_main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Served:
    """A running `qa serve`: its base URL, the process, and the file its stderr goes to."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 40) -> int:
        """SIGTERM, as a service manager sends it; the exit code once the server has drained."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"qa serve exited with {proc.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"qa serve was not ready after {timeout} s:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)


@contextmanager
def qa_serve(
    corpus: Path,
    index: Path,
    log: Path,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 180,
) -> Iterator[Served]:
    """`qa serve` on a free port of 127.0.0.1 (the default host), ready when yielded."""
    port = free_port()
    cmd = [*QA, "serve", "--port", str(port), "--corpus", str(corpus), "--index", str(index)]
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [*cmd, *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, **(env or {})},
        )
    served = Served(f"http://127.0.0.1:{port}", proc, log)
    try:
        wait_ready(served.url, proc, log, timeout)
        yield served
    finally:
        if proc.poll() is None:
            served.stop()


@contextmanager
def in_thread(app: Any, **options: Any) -> Iterator[tuple[str, uvicorn.Server]]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread: its URL and server.
    ``options`` go to `uvicorn.Config`. Setting ``server.should_exit`` is what SIGTERM does to
    `qa serve`."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", access_log=False, **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def ask_in_page(page: Any, question: str) -> dict[str, Any]:
    """In the chat page: type the question, send it with Enter; return the /ask JSON received."""
    page.fill("#question", question)
    with page.expect_response(lambda r: r.url.endswith("/ask")) as info:
        page.press("#question", "Enter")
    body: dict[str, Any] = info.value.json()
    page.wait_for_selector(".msg.pending", state="detached")
    return body
