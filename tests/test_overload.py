"""Overload: past what the engine can answer in time, questions get a fast 503 with Retry-After
instead of a long wait, the answered ones stay within the deadline, and the server recovers.

The fake-engine test runs in a second; the real one (`python -m eval.overload`: `qa serve` on
seeds/ with the reading model, offered 4x its measured saturation rate) bursts for 10 s in
`make test` (~35 s) and for 30 s in `make test-all` (~1 minute). The admission queue is bounded
by the deadline, so it is full within the first second of either burst."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fakes import PROJECT, SEEDS
from serving import in_thread
from test_server import FakeEngine

from qa.serve.app import create_app
from qa.serve.batching import Limits


def test_questions_that_cannot_be_answered_in_time_get_a_fast_503() -> None:
    engine = FakeEngine(delay=0.2)  # one batch of at most 2 questions every 0.2 s: ~10/s
    app = create_app(lambda: engine, limits=Limits(max_batch=2, deadline_s=1.0))
    with in_thread(app) as (url, _):

        async def ask(c: httpx.AsyncClient, i: int) -> tuple[int, float, str | None]:
            await asyncio.sleep(i * 0.01)  # 100 questions a second for 0.6 s
            t = time.perf_counter()
            r = await c.post("/ask", json={"question": f"q{i}?"})
            return r.status_code, time.perf_counter() - t, r.headers.get("retry-after")

        async def burst() -> list[tuple[int, float, str | None]]:
            async with httpx.AsyncClient(base_url=url, timeout=30) as c:
                await c.post("/ask", json={"question": "warm?"})  # measures the rate
                return list(await asyncio.gather(*(ask(c, i) for i in range(60))))

        results = asyncio.run(burst())
        time.sleep(1.5)  # the queue drains
        after = httpx.post(f"{url}/ask", json={"question": "and now?"}, timeout=30)
    answered = [t for status, t, _ in results if status == 200]
    shed = [(t, retry) for status, t, retry in results if status == 503]
    assert {status for status, _, _ in results} == {200, 503}
    assert answered and max(answered) < 1.0 + 0.3  # the deadline, plus one batch of slack
    assert shed and all(retry == "1" for _, retry in shed)
    assert len(answered) <= 20  # ~10 answers/s for ~1.6 s; the rest were refused
    assert after.status_code == 200


def test_an_idle_server_tries_a_question_that_takes_longer_than_the_deadline() -> None:
    engine = FakeEngine(delay=0.6)
    app = create_app(lambda: engine, limits=Limits(deadline_s=0.2))
    with in_thread(app) as (url, _):
        statuses = [
            httpx.post(f"{url}/ask", json={"question": f"q{i}?"}, timeout=30).status_code
            for i in range(3)
        ]
    assert statuses == [200, 200, 200]  # one at a time: nothing ahead of it, so never refused


@pytest.mark.slow
@pytest.mark.parametrize(
    "seconds", [pytest.param(10, id="10s"), pytest.param(30, id="30s", marks=pytest.mark.long)]
)
def test_four_times_saturation(seeds_index_dir: Path, seconds: int) -> None:
    cmd = [sys.executable, "-m", "eval.overload", "--factor", "4", "--seconds", str(seconds)]
    cmd += ["--corpus", str(SEEDS), "--index", str(seeds_index_dir)]
    done = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, timeout=600)
    result = json.loads(done.stdout)
    print(json.dumps(result, indent=1))  # the figures, shown with -rP
    assert done.returncode == 0, result
    assert result["failures"] == 0 and result["server_tracebacks"] == 0
    assert result["answered"] + result["shed_503"] == result["burst_requests"]
    assert result["answered_p99_ms"] <= 1000 * result["deadline_s"]
    assert result["recovered_after_s"] is not None and result["recovered_after_s"] <= 5
