"""The HTTP service: an OpenAI-compatible chat endpoint, /ask, citation sources and the chat page.

Thin by design: a handler parses the body, calls the engine and shapes the response. The engine
is loaded once, in the lifespan hook, and answers through a micro-batcher: questions arriving
within a couple of milliseconds of each other go through one `ask_many` call in a worker thread,
so the event loop never runs the encoder and concurrent requests share its batches. Errors become
OpenAI-style JSON bodies in one place (`exception_handlers`); each request leaves one JSON
access-log line carrying its stage timings, which responses also return (`Server-Timing`, and
`timings_ms` in the bodies).

Hostile input never reaches the engine: bodies are capped (413), must be UTF-8 JSON of the
documented shape (400), and questions are checked before they are queued. Every error status a
route can return is in the OpenAPI schema with the body it carries. When the index is rebuilt on
disk (`qa index` swaps the `current` link), a watcher opens the new build in a worker thread and
swaps it in between batches: no request fails and none waits for the load.

Here: `create_app`, the routes and the API-key guard. Beside it, one module per concern:
`qa.serve.wire` (the bodies and the OpenAI format), `qa.serve.batching` (micro-batcher, limits and
admission), `qa.serve.service` (the state the handlers share), `qa.serve.http_errors` (errors to
JSON bodies), `qa.serve.hosts` (the Host check), `qa.serve.access_log` (access log and timings) and
`qa.serve.reload`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import Body
from litestar.response import ServerSentEvent

from qa import __version__
from qa.answer.chat import standalone_query
from qa.answer.engine import check_question
from qa.answer.render import render
from qa.core.errors import QAError, QuestionRejected
from qa.core.types import Answer
from qa.serve.access_log import TIMINGS, AccessLog, server_timing
from qa.serve.batching import Batcher, Limits
from qa.serve.hosts import LOOPBACK_HOSTS, HostCheck, check_host_patterns
from qa.serve.http_errors import on_http_error, on_qa_error, on_unexpected
from qa.serve.reload import Reload, watch
from qa.serve.service import AnswerEngine, Service, service_of
from qa.serve.wire import (
    BEARER,
    AskRequest,
    AskResponse,
    AssistantMessage,
    ChatCompletion,
    ChatRequest,
    Choice,
    ModelCard,
    ModelList,
    SourceParagraph,
    SourceText,
    StreamingOperation,
    bad_request,
    chat_chunks,
    chat_content,
    conversation,
    error_responses,
    extras,
    parse_body,
    sse,
)

MODEL_ID = "qa-extractive"

log = logging.getLogger("qa.server")


# ---------------------------------------------------------------- the API key


def _require_key(connection: ASGIConnection[Any, Any, Any, Any], __: BaseRouteHandler) -> None:
    key = service_of(connection.app.state).api_key
    if key is None:
        return
    scheme, _, given = connection.headers.get("authorization", "").partition(" ")
    # compared as the bytes sent (headers are decoded as latin-1): compare_digest refuses str
    # with non-ASCII characters, which would turn a stray byte into a 500 instead of a 401
    sent = given.strip().encode("latin-1", "replace")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent, key.encode("utf-8")):
        raise NotAuthorizedException(
            "missing or wrong API key — send the header 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


# ---------------------------------------------------------------- answering


def _clean(question: str, limits: Limits) -> str:
    cleaned = check_question(question)
    if len(cleaned) > limits.max_question_chars:
        raise QuestionRejected(
            f"the question is longer than {limits.max_question_chars} characters"
        )
    return cleaned


def _earlier(turns: Sequence[str]) -> list[str]:
    """Earlier user turns usable as context: unusable ones are skipped, not rejected."""
    out = []
    for turn in turns:
        with suppress(QuestionRejected):
            out.append(check_question(turn))
    return out


async def _answer(request: Request[Any, Any, Any], question: str, earlier: Sequence[str]) -> Answer:
    svc = service_of(request.app.state)
    _, batcher = svc.ready()
    question = _clean(question, svc.limits)
    rewrite = standalone_query(question, _earlier(earlier), svc.limits.max_question_chars)
    answer = await batcher.ask(rewrite.query)
    searched = rewrite.query if rewrite.query != question else None
    answer = replace(answer, question=question, rewritten_query=searched)
    request.scope["state"][TIMINGS] = answer.timings_ms
    return answer


# ---------------------------------------------------------------- routes


@post(
    "/v1/chat/completions",
    status_code=200,
    guards=[_require_key],
    before_request=parse_body,
    security=BEARER,
    operation_class=StreamingOperation,
    responses={
        200: ResponseSpec(
            ChatCompletion,
            description="The answer; with `stream: true`, an SSE stream of chunks",
            generate_examples=False,
        ),
        **error_responses(400, 401, 404, 413, 500, 503),
    },
)
async def chat_completions(data: ChatRequest, request: Request[Any, Any, Any]) -> Response[Any]:
    """OpenAI chat completions: the answer with [n] markers, the citations beside it."""
    svc = service_of(request.app.state)
    if data.model != svc.model_id:
        raise NotFoundException(
            f"the model '{data.model}' does not exist — use '{svc.model_id}' (GET /v1/models)",
            extra={"param": "model", "code": "model_not_found"},
        )
    question, earlier = conversation(data.messages, svc.limits)
    answer = await _answer(request, question, earlier)
    head: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "created": int(time.time()),
        "model": svc.model_id,
        "system_fingerprint": answer.index_version,
    }
    headers = {"Server-Timing": server_timing(answer.timings_ms)}
    if data.stream:
        return ServerSentEvent(
            sse(chat_chunks(answer, {**head, "object": "chat.completion.chunk"})), headers=headers
        )
    message = AssistantMessage("assistant", "".join(chat_content(answer)))
    completion = ChatCompletion(
        **head,
        object="chat.completion",
        choices=[Choice(0, message, "stop")],
        **extras(answer),
    )
    return Response(completion, headers=headers)


@get("/v1/models", guards=[_require_key], security=BEARER, responses=error_responses(401))
async def list_models(state: State) -> ModelList:
    svc = service_of(state)
    return ModelList("list", [ModelCard(svc.model_id, "model", svc.created, "qa-cite")])


@get(
    "/v1/models/{model:str}",
    guards=[_require_key],
    security=BEARER,
    responses=error_responses(400, 401, 404),
)
async def get_model(model: str, state: State) -> ModelCard:
    svc = service_of(state)
    if model != svc.model_id:
        raise NotFoundException(
            f"the model '{model}' does not exist",
            extra={"param": "model", "code": "model_not_found"},
        )
    return ModelCard(svc.model_id, "model", svc.created, "qa-cite")


@post(
    "/ask",
    status_code=200,
    guards=[_require_key],
    before_request=parse_body,
    security=BEARER,
    responses={
        200: ResponseSpec(AskResponse, description="The cited answer", generate_examples=False),
        **error_responses(400, 401, 413, 500, 503),
    },
)
async def ask(
    data: Annotated[AskRequest, Body(schema_extra={"additionalProperties": False})],
    request: Request[Any, Any, Any],
) -> Response[dict[str, Any]]:
    """The `ask --json` object; plus `rewritten_query` for a rewritten follow-up, and timings."""
    limits = service_of(request.app.state).limits
    if len(data.history) + 1 > limits.max_messages:
        raise bad_request(
            f"too many history turns ({len(data.history)} ≥ {limits.max_messages})",
            "history",
            "too_many_messages",
        )
    answer = await _answer(request, data.question, data.history)
    body = answer.to_dict()
    if answer.rewritten_query is not None:
        body["rewritten_query"] = answer.rewritten_query
    body["timings_ms"] = answer.timings_ms
    return Response(body, headers={"Server-Timing": server_timing(answer.timings_ms)})


@get(
    "/sources/{source:str}/{paragraph:int}",
    guards=[_require_key],
    sync_to_thread=True,
    security=BEARER,
    responses=error_responses(400, 401, 404, 503),
)
def source_paragraph(source: str, paragraph: int, state: State) -> SourceParagraph:
    """A paragraph of a corpus file with its offsets; only files of the index, by exact name."""
    engine, _ = service_of(state).ready()
    p = engine.paragraph(source, paragraph)
    return SourceParagraph(p.source, p.number, p.start, p.end, p.text)


@get(
    "/source",
    guards=[_require_key],
    sync_to_thread=True,
    security=BEARER,
    responses=error_responses(400, 401, 404, 503),
)
def source_text(name: str, state: State) -> SourceText:
    """The text a source's citations point into (the file itself for .txt, the text extracted
    from it otherwise) with its paragraphs, their page and heading path; ``name`` is the source
    as citations give it (a path relative to the corpus folder). Only sources of the index."""
    engine, _ = service_of(state).ready()
    view = engine.source(name)
    return msgspec.convert(view.to_dict(), SourceText)


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", responses=error_responses(503))
async def readyz(state: State) -> dict[str, Any]:
    engine, _ = service_of(state).ready()
    return {"status": "ready", "index_version": engine.index_version, "sources": len(engine.texts)}


@get("/", media_type=MediaType.HTML, include_in_schema=False)
async def chat_page(state: State) -> Response[str]:
    svc = service_of(state)
    engine, _ = svc.ready()
    nonce = secrets.token_urlsafe(16)
    html = render(
        "chat.html",
        nonce=nonce,
        model_id=svc.model_id,
        index_version=engine.index_version,
        sources=len(engine.texts),
        key_required=svc.api_key is not None,
    )
    csp = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return Response(html, media_type=MediaType.HTML, headers={"Content-Security-Policy": csp})


# ---------------------------------------------------------------- the app


def create_app(
    engine_factory: Callable[[], AnswerEngine] | None = None,
    *,
    corpus: Path | None = None,
    index: Path | None = None,
    api_key: str | None = None,
    limits: Limits | None = None,
    model_id: str = MODEL_ID,
    reload: Reload | None = None,
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
) -> Litestar:
    """The litestar app. The engine comes from ``engine_factory``, or is opened for ``corpus``
    and ``index`` (building a missing, stale or corrupt index first, with a log line saying why),
    once, at start-up. With ``reload``, a rebuilt index is swapped in while the server runs.
    Requests are served only for the ``allowed_hosts`` (see `HostCheck`), by default loopback."""
    limits = limits or Limits()
    hosts = check_host_patterns(allowed_hosts)

    def open_engine() -> AnswerEngine:
        from qa.answer.engine import DEFAULT_CORPUS, Engine

        return Engine.open(corpus or DEFAULT_CORPUS, index, on_build=log.warning)

    factory = engine_factory or open_engine
    svc = Service(limits, model_id, api_key)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        # uvicorn drains in-flight requests before this exits, so the batcher outlives them
        svc.engine = await sync_to_thread(factory)
        try:
            batcher = Batcher(
                svc.ask_many,
                limits.batch_window_s,
                limits.max_batch,
                limits.max_pending,
                limits.deadline_s,
            )
            async with batcher:
                svc.batcher = batcher
                watcher = asyncio.create_task(watch(svc, reload)) if reload else None
                try:
                    yield
                finally:
                    if watcher is not None:
                        watcher.cancel()
                        with suppress(asyncio.CancelledError):
                            await watcher
        finally:
            svc.engine = svc.batcher = None

    app = Litestar(
        route_handlers=[
            chat_page,
            chat_completions,
            list_models,
            get_model,
            ask,
            source_paragraph,
            source_text,
            healthz,
            readyz,
        ],
        lifespan=[lifespan],
        state=State({"qa": svc}),
        exception_handlers={
            QAError: on_qa_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
        request_max_body_size=limits.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="qa-cite",
            version=__version__,
            description="Cited extractive answers over a folder of articles.",
            render_plugins=[JsonRenderPlugin()],  # no UI pages: they load scripts from CDNs
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="Required when the server runs with --api-key",
                    )
                }
            ),
        ),
        debug=False,
        logging_config=None,  # logging is set up at the edge (`qa serve`), not by the app
    )
    app.asgi_handler = AccessLog(HostCheck(app.asgi_handler, hosts))
    return app
