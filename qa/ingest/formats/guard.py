"""Converting untrusted files in a child process with limits, so that no file can crash, hang or
exhaust the build: a PDF whose streams inflate to gigabytes, a parser caught in a loop, a
library that crashes in C.

``Guard`` keeps one child (``python -m qa.ingest.formats.guard``) for the whole build and sends it
one file at a time: 4-byte length-prefixed messages on its stdin and stdout. The child runs with an
address-space limit (``MEMORY_BYTES``, RLIMIT_AS) and the parent waits at most ``TIMEOUT_S`` per
file. A file that runs out of time or memory, or kills the child, is ``Unreadable`` (skipped with
one warning); the child is replaced for the next file. The child only reads bytes it is sent and
writes blocks back: it opens no file.
"""

from __future__ import annotations

import os
import resource
import select
import struct
import subprocess
import sys
import time
from types import TracebackType
from typing import IO

import msgspec

from qa.ingest.formats import Block, Unreadable

TIMEOUT_S = 60.0
MEMORY_BYTES = 2 * 1024**3
_HEADER = struct.Struct(">I")


class _Request(msgspec.Struct):
    fmt: str
    data: bytes


class _Reply(msgspec.Struct):
    blocks: list[tuple[str, int, int | None]] = []
    error: str | None = None


def _limit(memory: int) -> None:  # in the child, before it imports any converter
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Guard:
    """Converts files in a limited child process; use as a context manager."""

    def __init__(self, timeout_s: float = TIMEOUT_S, memory_bytes: int = MEMORY_BYTES) -> None:
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self._child: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Guard:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    stream.close()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            self.close()
            # the child sets its own limit first thing (no preexec_fn: the server has threads)
            self._child = subprocess.Popen(
                [sys.executable, "-m", "qa.ingest.formats.guard", str(self.memory_bytes)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._child

    def blocks(self, fmt: str, data: bytes) -> list[Block]:
        """The file's blocks, as ``qa.ingest.formats.converter(fmt)`` gives them, or
        ``Unreadable``."""
        child = self._start()
        assert child.stdin is not None and child.stdout is not None
        message = msgspec.msgpack.encode(_Request(fmt, data))
        try:
            child.stdin.write(_HEADER.pack(len(message)) + message)
            child.stdin.flush()
            reply = _read(child.stdout, time.monotonic() + self.timeout_s)
        except TimeoutError:
            self.close()
            raise Unreadable(f"took longer than {self.timeout_s:.0f} s to convert") from None
        except (OSError, EOFError):
            self.close()
            raise Unreadable(
                f"the converter died on it (more than {self.memory_bytes // 1024**2} MB of "
                "memory, or a crash)"
            ) from None
        decoded = msgspec.msgpack.decode(reply, type=_Reply)
        if decoded.error is not None:
            raise Unreadable(decoded.error)
        return [Block(text, level, page) for text, level, page in decoded.blocks]


def _read(stream: IO[bytes], deadline: float) -> bytes:
    """One length-prefixed message from the child, or TimeoutError / EOFError."""
    fd = stream.fileno()
    buf = bytearray()
    need, header = _HEADER.size, True
    while True:
        if len(buf) >= need:
            if not header:
                return bytes(buf[_HEADER.size : need])
            need, header = _HEADER.size + _HEADER.unpack(buf[: _HEADER.size])[0], False
            continue
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, need - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk


def _serve() -> None:  # the child's loop
    from qa.ingest.formats import converter

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        request = msgspec.msgpack.decode(stdin.read(_HEADER.unpack(header)[0]), type=_Request)
        try:
            found = converter(request.fmt)(request.data)
            reply = _Reply(blocks=[(b.text, b.level, b.page) for b in found])
        except Unreadable as exc:
            reply = _Reply(error=str(exc))
        except RecursionError:
            reply = _Reply(error="nested too deeply to read")
        except MemoryError:
            reply = _Reply(error="too large to convert in memory")
        except Exception as exc:  # a damaged file: every library fails in its own way
            reply = _Reply(error=f"cannot be read as {request.fmt.upper()} ({type(exc).__name__})")
        out = msgspec.msgpack.encode(reply)
        stdout.write(_HEADER.pack(len(out)) + out)
        stdout.flush()


if __name__ == "__main__":
    _limit(int(sys.argv[1]) if len(sys.argv) > 1 else MEMORY_BYTES)
    _serve()
