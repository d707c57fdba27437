"""Load on loopback: 32 concurrent clients against a real `qa serve`.

The same 32 clients in both tiers: `make test` sends 32 x 40 requests (1,280), `make test-all`
adds the soak of 32 x 500 (16,000; about 6 minutes on the 2-core machine now that every
question runs the reading model), each bounded in count and time. QA_LOAD_REQUESTS sets the
soak's requests per client; the same load from the shell: `python -m eval.soak` (see
eval/soak.py)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fakes import PROJECT, SEEDS
from serving import in_thread
from test_server import FakeEngine

from qa.serve.app import create_app
from qa.serve.batching import Limits

CLIENTS = 32
REQUESTS = int(os.environ.get("QA_LOAD_REQUESTS", "500"))
PER_CLIENT = [  # requests per client: the fast tier's run, then the soak
    pytest.param(40, id="32x40"),
    pytest.param(REQUESTS, id=f"32x{REQUESTS}", marks=pytest.mark.long),
]


@pytest.mark.slow
@pytest.mark.parametrize("requests", PER_CLIENT)
def test_32_concurrent_clients_no_errors_and_flat_memory(
    seeds_index_dir: Path, requests: int
) -> None:
    cmd = [sys.executable, "-m", "eval.soak", "--clients", str(CLIENTS)]
    cmd += ["--requests", str(requests), "--warmup", "320", "--max-seconds", "1200"]
    cmd += ["--corpus", str(SEEDS), "--index", str(seeds_index_dir), "--max-growth-mb", "32"]
    done = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, timeout=1500)
    result = json.loads(done.stdout)
    print(json.dumps(result, indent=1))  # the figures, shown with -rP
    assert done.returncode == 0, result
    assert result["requests"] == CLIENTS * requests
    assert result["errors"] == 0  # a 503 (with Retry-After) is the admission policy's only other
    assert set(result["statuses"]) <= {"200", "503"}
    assert sum(result["statuses"].values()) == CLIENTS * requests
    assert result["server_tracebacks"] == 0 and result["clean_shutdown"]
    assert result["rss_before_mib"] > 0 and result["rss_growth_mib"] < 32


def test_an_overload_is_a_503_with_retry_after_and_passes() -> None:
    """Past `max_pending` waiting questions the server sheds load instead of queueing without
    bound, and answers again once the queue drains."""
    engine = FakeEngine(delay=0.3)
    app = create_app(lambda: engine, limits=Limits(max_pending=4, max_batch=2))
    with in_thread(app) as (url, _):

        async def burst() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=url, timeout=30) as c:
                asks = [c.post("/ask", json={"question": f"q{i}?"}) for i in range(24)]
                return list(await asyncio.gather(*asks))

        responses = asyncio.run(burst())
        statuses = [r.status_code for r in responses]
        after = httpx.post(f"{url}/ask", json={"question": "and now?"}, timeout=30)
    assert set(statuses) == {200, 503}
    shed = [r for r in responses if r.status_code == 503]
    assert all(r.headers["retry-after"] == "1" for r in shed)
    assert all("busy" in r.json()["error"]["message"] for r in shed)
    assert after.status_code == 200
