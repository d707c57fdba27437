"""The micro-batcher on its own: one `ask_many` call per batch, a failing question alone."""

from __future__ import annotations

import asyncio

from test_server import FakeEngine

from qa.batching import Batcher
from qa.errors import QuestionRejected
from qa.types import Answer


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
