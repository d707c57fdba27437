"""Micro-batching and the admission policy: questions arriving within a couple of milliseconds
of each other go through one `ask_many` call in a worker thread, so the event loop never runs the
encoder and concurrent requests share its batches. A question that could not be answered within
the deadline (`Limits.deadline_s`) at the measured rate is refused with a fast 503.
`Limits` holds the server's limits, the batching and admission settings among them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace

from litestar.concurrency import sync_to_thread
from litestar.exceptions import ServiceUnavailableException

from qa.answer.engine import MAX_QUESTION_CHARS
from qa.core.types import Answer

log = logging.getLogger("qa.server")  # the server's log (`qa.serve.access_log.log_to` sets it up)


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 64 * 1024
    max_messages: int = 64  # per chat request, and history turns + 1 for /ask
    max_question_chars: int = MAX_QUESTION_CHARS
    batch_window_s: float = 0.002  # questions arriving this close together share one batch
    # a batch's answers come back together, so its length is a commitment the admission policy
    # cannot revise: 8 questions take ~0.25 s on two cores (32 took ~1 s of the 2-s deadline,
    # and a slower second mid-batch went straight into the answered latency); batches above
    # 8 answer no faster (seeds, 256 questions: 33 a second in batches of 8, 16 or 32)
    max_batch: int = 8
    max_pending: int = 256  # questions waiting for the engine; beyond this: 503, retry later
    # a question is answered within this many seconds of arriving, or gets a fast 503: it is
    # refused when the queue ahead of it would take longer, and dropped if it waited too long
    deadline_s: float = 2.0


PLANNED_SHARE = 0.8  # of the deadline, planned for answering (see Batcher)
RATE_WINDOW_S = 5.0  # the answer rate is averaged over about this many seconds of answering


class Batcher:
    """Answer questions in small batches: one `ask_many` call, in a worker thread, per batch."""

    def __init__(
        self,
        ask_many: Callable[[Sequence[str]], list[Answer]],
        window_s: float = Limits.batch_window_s,
        max_size: int = Limits.max_batch,
        max_pending: int = Limits.max_pending,
        deadline_s: float = Limits.deadline_s,
    ) -> None:
        self._ask_many = ask_many
        self._window_s = window_s
        self._max_size = max_size
        self._max_pending = max_pending
        # what the batcher plans for: the rest of the deadline is for the HTTP work around it,
        # which competes for the cores with answering when the server is overloaded
        self._budget_s = PLANNED_SHARE * deadline_s
        # questions answered per second, measured as batches complete (a moving average over
        # ~RATE_WINDOW_S of answering; None until the first batch)
        self._rate: float | None = None
        self._in_flight = 0
        self._idle_since = 0.0  # when the last batch finished
        self._queue: asyncio.Queue[tuple[str, float, asyncio.Future[Answer]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.sizes: Counter[int] = Counter()  # batch size → how many batches had it

    async def __aenter__(self) -> Batcher:
        self._task = asyncio.create_task(self._run(), name="qa-batcher")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def ask(self, question: str) -> Answer:
        if self._task is None or self._task.done():
            raise ServiceUnavailableException("the index is not loaded — retry shortly")
        waiting = self._queue.qsize()
        if waiting >= self._max_pending or self.expected_wait_s() > self._budget_s:
            raise _busy(waiting)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((question, time.perf_counter(), future))
        return await future

    def planned_rate(self) -> float | None:
        """The answers per second the policy plans with (None before the first batch)."""
        return self._rate

    def expected_wait_s(self) -> float:
        """How long a question arriving now would wait for its answer, at the measured rate:
        the batch being answered, then the next one, holding the queue and this question."""
        ahead = self._queue.qsize() + self._in_flight
        if self._rate is None or not ahead:
            return 0.0  # an idle server always tries
        return (ahead + 1) / self._rate

    async def _run(self) -> None:
        try:
            while True:
                await self._next_batch()
        except Exception:
            log.exception("the answering task failed")
        finally:  # never leave a caller waiting
            while not self._queue.empty():
                _, _, future = self._queue.get_nowait()
                _fail(future, "the server is shutting down")

    async def _next_batch(self) -> None:
        batch = [await self._queue.get()]
        if self._window_s > 0:
            await asyncio.sleep(self._window_s)
        while len(batch) < self._max_size and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        live = [item for item in batch if not item[2].done()]  # skip disconnected clients
        # a question that waited behind earlier batches and could no longer be answered within
        # the deadline is refused now (one that arrived at an idle server is always tried)
        started = time.perf_counter()
        if self._rate is not None:
            late = min(started + len(live) / self._rate - self._budget_s, self._idle_since)
            for _, queued, future in live:
                if queued < late and not future.done():
                    future.set_exception(_busy(self._queue.qsize()))
            live = [item for item in live if not item[2].done()]
        if not live:
            return
        self.sizes[len(live)] += 1
        self._in_flight = len(live)
        # the rate counts wall time from when this batch could have started (the previous one
        # ended, or its first question arrived), so the event loop's own work is in it
        since = max(self._idle_since, min(queued for _, queued, _ in live))
        try:
            results = await sync_to_thread(self._answer, [q for q, _, _ in live])
        except BaseException:  # cancelled (shutting down); _answer itself returns its errors
            for _, _, future in live:
                _fail(future, "the server is shutting down")
            raise
        finally:
            self._in_flight = 0
            self._idle_since = time.perf_counter()
        elapsed = max(self._idle_since - since, 1e-6)
        # a moving average over ~RATE_WINDOW_S of answering, whatever the batch size: a slow
        # quarter-second must not read as the new rate (refusals would add load: clients retry)
        weight = 1.0 - math.exp(-elapsed / RATE_WINDOW_S)
        rate = len(live) / elapsed
        self._rate = rate if self._rate is None else (1 - weight) * self._rate + weight * rate
        for (_, queued, future), result in zip(live, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Answer):
                waited = round((started - queued) * 1000, 3)
                future.set_result(
                    replace(result, timings_ms={**result.timings_ms, "queue": waited})
                )
            else:
                future.set_exception(result)

    def _answer(self, questions: list[str]) -> list[Answer | Exception]:
        """All at once; when the batch fails, one by one so one bad question fails alone."""
        try:
            answers: list[Answer | Exception] = list(self._ask_many(questions))
            if len(answers) != len(questions):
                raise RuntimeError(f"ask_many gave {len(answers)} answers to {len(questions)}")
            return answers
        except Exception as exc:
            if len(questions) == 1:
                return [exc]
        out: list[Answer | Exception] = []
        for q in questions:
            out += self._answer([q])
        return out


def _busy(waiting: int) -> ServiceUnavailableException:
    return ServiceUnavailableException(
        f"the server is busy ({waiting} questions waiting) — retry shortly",
        headers={"Retry-After": "1"},
    )


def _fail(future: asyncio.Future[Answer], message: str) -> None:
    if not future.done():
        future.set_exception(ServiceUnavailableException(message))
