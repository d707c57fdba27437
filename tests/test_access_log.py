"""The access log: one JSON line per request, with the stage timings (also in `Server-Timing`)."""

from __future__ import annotations

import json
import logging

from litestar.testing import TestClient
from serving import LOCAL
from test_server import FakeEngine

from qa.serve.app import create_app


def test_access_log_lines_carry_the_stage_timings() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("qa.access")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with TestClient(create_app(FakeEngine), base_url=LOCAL) as c:
            response = c.post("/ask", json={"question": "who?"})
            c.get("/nowhere")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert response.headers["server-timing"].startswith("embed;dur=1.000, retrieve;dur=2.000")
    assert response.json()["timings_ms"]["compose"] == 3.0
    lines = [json.loads(r.getMessage()) for r in records]
    ask, missing = lines
    assert ask["method"] == "POST" and ask["path"] == "/ask" and ask["status"] == 200
    assert (ask["retrieve_ms"], ask["compose_ms"]) == (2.0, 3.0)
    assert ask["duration_ms"] > 0 and ask["queue_ms"] >= 0
    assert missing["status"] == 404 and missing["retrieve_ms"] is None
