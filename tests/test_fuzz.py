"""Schemathesis against the OpenAPI schema of a real `qa serve` on 127.0.0.1.

Every operation of /schema/openapi.json gets generated requests, schema-valid (positive) and
schema-invalid (negative); every response must pass schemathesis's checks: no 5xx, a documented
status code, content type, headers and body. Generation is derandomised so CI sees the same
requests every run. `make test` sends a fifth of the plan's budget (every operation and mode,
at least one request each), `make test-all` the whole of it as well (the `long` marker); set
QA_FUZZ_SCALE (e.g. 10) to multiply both for a longer exploratory run.

Excluded check: positive_data_acceptance. The schema cannot express every rule a question obeys
(at most 1000 characters once white space collapses, no control characters, words in it), so a
schema-valid question may rightly get a 400 — which the other checks still require to be
documented and well-formed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from fakes import SEED_004, SEEDS
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from serving import Served, qa_serve

pytestmark = pytest.mark.slow

MODEL = "qa-extractive"
SCALE = float(os.environ.get("QA_FUZZ_SCALE", "1"))
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE


def _answerable(case: Case) -> Case:
    """A known model and a user message last: generated chats that reach the answering code
    (most generated model names are unknown, a 404)."""
    if isinstance(case.body, dict):
        case.body["model"] = MODEL
        messages = case.body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            messages[-1]["role"] = "user"
            if messages[-1].get("content") is None:  # generated when absent: schema-valid
                messages[-1]["content"] = "Who are the co-chairs of the DEM Party?"
    return case


def _streamed(case: Case) -> Case:
    """As `_answerable`, with the answer streamed as server-sent events."""
    case = _answerable(case)
    if isinstance(case.body, dict):
        case.body["stream"] = True
    return case


def _paragraph_in_range(case: Case) -> Case:
    """Paragraph numbers a seed file has (and 0, which none has)."""
    number = case.path_parameters.get("paragraph") if case.path_parameters else None
    if isinstance(number, int):
        case.path_parameters["paragraph"] = number % 50
    return case


# (operation, mode, fixed path parameters, case mapping, examples)
PLAN: list[tuple[str, GenerationMode, dict[str, Any], Callable[[Case], Case] | None, int]] = [
    ("POST /ask", POSITIVE, {}, None, 200),
    ("POST /ask", NEGATIVE, {}, None, 150),
    ("POST /v1/chat/completions", POSITIVE, {}, None, 100),
    ("POST /v1/chat/completions", POSITIVE, {}, _answerable, 150),
    ("POST /v1/chat/completions", POSITIVE, {}, _streamed, 50),
    ("POST /v1/chat/completions", NEGATIVE, {}, None, 150),
    ("GET /sources/{source}/{paragraph}", POSITIVE, {}, None, 100),
    ("GET /sources/{source}/{paragraph}", POSITIVE, {"source": SEED_004}, _paragraph_in_range, 100),
    ("GET /sources/{source}/{paragraph}", NEGATIVE, {}, None, 100),
    ("GET /source", POSITIVE, {}, None, 100),
    ("GET /source", NEGATIVE, {}, None, 100),
    ("GET /v1/models/{model}", POSITIVE, {}, None, 50),
    ("GET /v1/models", POSITIVE, {}, None, 1),
    ("GET /healthz", POSITIVE, {}, None, 1),
    ("GET /readyz", POSITIVE, {}, None, 1),
]


# the share of each row's examples sent: the fast tier's, then the whole plan (slow tier)
TIERS = [(0.2, "fifth", ()), (1.0, "whole", (pytest.mark.long,))]


def _params() -> list[Any]:
    params = []
    for share, name, marks in TIERS:
        for row in PLAN:
            label, mode, _, mapping, _ = row
            extra = " " + mapping.__name__.strip("_") if mapping else ""
            tag = f"{label} {mode.value}{extra} {name}"
            params.append(pytest.param(*row, share, id=tag, marks=marks))
    return params


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, seeds_index_dir: Path) -> Iterator[Served]:
    log = tmp_path_factory.mktemp("fuzz") / "serve.log"
    with qa_serve(SEEDS, seeds_index_dir, log) as s:
        yield s


@pytest.fixture(scope="module")
def api(served: Served) -> Any:
    return schemathesis.openapi.from_url(f"{served.url}/schema/openapi.json")


def test_the_plan_covers_every_operation_with_1000_requests(api: Any) -> None:
    operations = {result.ok().label for result in api.get_all_operations()}
    assert operations == {label for label, *_ in PLAN}
    assert sum(n for *_, n in PLAN) >= 1000


@pytest.mark.parametrize(("label", "mode", "fixed", "mapping", "examples", "share"), _params())
def test_generated_requests_conform(
    api: Any,
    served: Served,
    label: str,
    mode: GenerationMode,
    fixed: dict[str, Any],
    mapping: Callable[[Case], Case] | None,
    examples: int,
    share: float,
) -> None:
    method, path = label.split(" ")
    operation = api[path][method]
    strategy: st.SearchStrategy[Case] = operation.as_strategy(
        generation_mode=mode, path_parameters=fixed or None
    )
    if mapping is not None:
        strategy = strategy.map(mapping)
    # 1: no inputs to vary; otherwise at least one request in every tier
    budget = examples if examples == 1 else max(1, round(examples * share * SCALE))
    sent: Counter[int] = Counter()
    session = requests.Session()

    @settings(
        max_examples=budget,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Case) -> None:
        response = case.call(session=session, timeout=30)
        sent[response.status_code] += 1
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    try:
        check()
    finally:
        session.close()
    print(f"{label} {mode.value}: {sum(sent.values())} requests, statuses {dict(sent)}")
    assert sum(sent.values()) >= budget
    assert not any(status >= 500 for status in sent), sent
    assert "Traceback" not in served.log_text()
