"""The micro-batcher on its own: one `ask_many` call per batch, a failing question alone."""

from __future__ import annotations

import asyncio
import time

from test_server import FakeEngine

from qa.core.errors import QuestionRejected
from qa.core.types import Answer
from qa.serve.batching import Batcher


def test_batcher_answers_each_question_once_and_isolates_failures() -> None:
    engine = FakeEngine()

    async def run() -> list[Answer | BaseException]:
        async with Batcher(engine.ask_many, window_s=0.01, max_size=8) as batcher:
            asks = [batcher.ask(q) for q in ["one?", "two?", "boom?", "four?"]]
            return await asyncio.gather(*asks, return_exceptions=True)

    one, two, boom, four = asyncio.run(run())
    assert isinstance(one, Answer) and one.question == "one?"
    assert isinstance(two, Answer) and isinstance(four, Answer) and four.question == "four?"
    assert isinstance(boom, QuestionRejected)
    assert engine.batches[0] == ["one?", "two?", "boom?", "four?"]  # first try: one batch
    assert ["one?"] in engine.batches and ["boom?"] in engine.batches  # then one by one
    assert one.timings_ms["queue"] >= 0


def test_one_slow_batch_does_not_become_the_planned_rate() -> None:
    """The rate the admission policy plans with averages ~RATE_WINDOW_S of answering: one batch
    ten times slower than the rest barely moves it (averaged per batch, it fell by a fifth)."""
    engine = FakeEngine()
    pause = [0.01]

    def ask_many(questions: list[str]) -> list[Answer]:
        time.sleep(pause[0])
        return engine.ask_many(questions)

    async def run() -> tuple[float, float]:
        async with Batcher(ask_many, window_s=0.0, max_size=8) as batcher:
            for _ in range(6):
                await asyncio.gather(*[batcher.ask(f"q{i}?") for i in range(8)])
            steady = batcher.planned_rate()
            pause[0] = 0.1
            await asyncio.gather(*[batcher.ask(f"q{i}?") for i in range(8)])
            return steady, batcher.planned_rate()

    steady, after = asyncio.run(run())
    assert after < steady  # it did see the slow batch
    assert after > 0.95 * steady
