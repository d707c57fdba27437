"""The bodies the HTTP service reads and writes: the /ask request and response, the OpenAI
chat-completion format (requests, completions, streamed chunks, models), citation sources and the
OpenAI-style error body, as msgspec Structs; with the OpenAPI description of the error responses
and of the SSE stream, and the assistant message in pieces (`chat_content`) and as SSE chunks.
Reading a request: the body must be UTF-8 JSON (`parse_body`), the question is the last message
of a chat (`conversation`); a 400 carries the OpenAI ``param`` and ``code`` (`bad_request`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, SerializationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Operation
from litestar.response.sse import ServerSentEventMessage

from qa.core.types import Answer
from qa.serve.batching import Limits

# ---------------------------------------------------------------- bodies


QUESTION_DOC = (
    "At most `max_question_chars` (1000) characters once white space is collapsed; not empty, "
    "no control characters."
)


class AskRequest(msgspec.Struct, forbid_unknown_fields=True):
    question: Annotated[str, msgspec.Meta(description=QUESTION_DOC)]
    history: Annotated[  # earlier user questions, oldest first
        list[str],
        msgspec.Meta(
            description="Earlier user questions of the conversation, oldest first; fewer than "
            "`max_messages` (64). Unusable ones are skipped."
        ),
    ] = msgspec.field(default_factory=list)


class SpanBody(msgspec.Struct):
    source: str
    paragraph: int
    start: int
    end: int


class CitationBody(msgspec.Struct):
    """`Citation.to_dict()`: the quote is ``text[start:end]`` of the decoded source file."""

    source: str
    paragraph: int
    start: int
    end: int
    quote: str
    also_in: list[SpanBody]


class ShortAnswerBody(msgspec.Struct):
    """`ShortAnswer.to_dict()`: the exact words that answer, ``text[start:end]`` of the decoded
    source file, inside the first citation's quote."""

    text: str
    source: str
    start: int
    end: int


class AskResponse(msgspec.Struct):
    """The `ask --json` object, plus the rewritten query of a follow-up and the stage timings."""

    question: str
    answer: str
    short_answer: ShortAnswerBody | None  # null when abstained or not confident enough
    abstained: bool
    confidence: float
    citations: list[CitationBody]
    related: list[CitationBody]
    index_version: str
    timings_ms: dict[str, float]
    rewritten_query: str | None = None  # present only when a follow-up was rewritten


class ContentPart(msgspec.Struct):
    type: str
    text: str | None = None


class ChatMessage(msgspec.Struct):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class ChatRequest(msgspec.Struct):
    """The OpenAI chat-completions request; sampling parameters are accepted and ignored."""

    model: Annotated[str, msgspec.Meta(description="The model id of GET /v1/models")]
    messages: Annotated[
        list[ChatMessage],
        msgspec.Meta(
            description="The conversation, oldest first: 1 to `max_messages` (64) messages, the "
            "last one the user's question (see AskRequest.question for its limits)"
        ),
    ]
    stream: bool | None = False


class AssistantMessage(msgspec.Struct):
    role: str
    content: str


class Choice(msgspec.Struct):
    index: int
    message: AssistantMessage
    finish_reason: str
    logprobs: None = None


class ChatCompletion(msgspec.Struct):
    id: str
    object: str
    created: int
    model: str
    system_fingerprint: str
    choices: list[Choice]
    citations: list[CitationBody]  # as `ask --json` prints them
    short_answer: ShortAnswerBody | None  # as `ask --json` prints it; the content leads with it
    related: list[CitationBody]  # nearest passages when the answer abstains
    abstained: bool
    rewritten_query: str | None  # the standalone query searched, when a follow-up was rewritten
    timings_ms: dict[str, float]


class Delta(msgspec.Struct, omit_defaults=True):
    role: str | None = None
    content: str | None = None


class ChunkChoice(msgspec.Struct):
    index: int
    delta: Delta
    finish_reason: str | None = None
    logprobs: None = None


class ChatChunk(msgspec.Struct, omit_defaults=True):
    """A streamed chunk; the last one (finish_reason "stop") carries the citations and the
    short answer (when there is one)."""

    id: str
    object: str
    created: int
    model: str
    system_fingerprint: str
    choices: list[ChunkChoice]
    citations: list[CitationBody] | None = None
    short_answer: ShortAnswerBody | None = None
    related: list[CitationBody] | None = None
    abstained: bool | None = None
    rewritten_query: str | None = None
    timings_ms: dict[str, float] | None = None


class ModelCard(msgspec.Struct):
    id: str
    object: str
    created: int
    owned_by: str


class ModelList(msgspec.Struct):
    object: str
    data: list[ModelCard]


class SourceParagraph(msgspec.Struct):
    source: str
    paragraph: int
    start: int  # offsets of the paragraph in the decoded file, like a citation's
    end: int
    text: str


class SourceParagraphSpan(msgspec.Struct, omit_defaults=True):
    paragraph: int
    start: int
    end: int
    page: int | None = None  # PDF
    headings: list[str] = []  # Markdown, HTML, Word


class SourceText(msgspec.Struct):
    """The text a source's citations point into: the file itself (.txt) or the text extracted
    from it (other formats), with its paragraphs."""

    source: str
    format: str
    text: str
    paragraphs: list[SourceParagraphSpan]


class ErrorDetail(msgspec.Struct):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorBody(msgspec.Struct):
    error: ErrorDetail


_ERROR_DESCRIPTIONS = {
    400: "Invalid request: not UTF-8 JSON, the wrong shape, or a rejected question",
    401: "Missing or wrong API key (only when the server runs with --api-key)",
    404: "Unknown model, source file or paragraph",
    413: "Request body over the size limit",
    500: "Internal error (details only in the server log)",
    503: "The index is not loaded, the server is shutting down, or it is busy",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The documented error responses of a route: each carries an OpenAI-style `ErrorBody`."""
    return {
        status: ResponseSpec(
            ErrorBody, description=_ERROR_DESCRIPTIONS[status], generate_examples=False
        )
        for status in statuses
    }


class StreamingOperation(Operation):
    """The chat operation: its 200 is JSON, or an SSE stream of `ChatChunk`s when ``stream``."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        content = schema["responses"]["200"].setdefault("content", {})
        content["text/event-stream"] = {  # before OpenAPI 3.2, `schema` describes one event
            "schema": {
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": {
                        "type": "string",
                        "description": "A `chat.completion.chunk` as JSON (the last one carries "
                        "the citations and the short answer), then `[DONE]`",
                    },
                    "event": {"type": "string"},
                },
            }
        }
        return schema


# Guarded routes: a bearer key is needed only when the server was started with one.
BEARER: list[dict[str, list[str]]] = [{}, {"bearer": []}]


# ---------------------------------------------------------------- the assistant message


def _flat(text: str, limit: int | None = None) -> str:
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"


_LINE_BREAK = re.compile(r"\s*[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]\s*")


def _one_line(text: str) -> str:
    """``text`` with each run of white space holding a line break turned into one space (the
    short answer of a hard-wrapped file); any other character is kept as it is."""
    return _LINE_BREAK.sub(" ", text)


def chat_content(answer: Answer) -> list[str]:
    """The assistant message in pieces (streamed one by one): the short answer in bold on its
    own line (when there is one), quotes with [n] markers, sources."""
    if answer.abstained:
        pieces = [f"The sources don't answer this question (confidence {answer.confidence:.2f})."]
        if answer.related:
            pieces.append("\n\nNearest passages:")
            pieces += [
                f"\n[{n}] {c.source} ¶{c.paragraph}: “{_flat(c.quote, 200)}”"
                for n, c in enumerate(answer.related, 1)
            ]
    else:
        short = answer.short_answer
        pieces = [f"**{_one_line(short.text)}**\n\n"] if short is not None else []
        pieces += [
            f"{' ' if n > 1 else ''}{_flat(c.quote)} [{n}]"
            for n, c in enumerate(answer.citations, 1)
        ]
        pieces.append(f"\n\nSources (confidence {answer.confidence:.2f}):")
        pieces += [
            f"\n[{n}] {c.source} ¶{c.paragraph} (chars {c.start}–{c.end})"
            for n, c in enumerate(answer.citations, 1)
        ]
    if answer.rewritten_query:
        pieces.append(f"\n\nSearched: “{answer.rewritten_query}”")
    return pieces


def extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [c.to_dict() for c in answer.citations],
        "short_answer": answer.short_answer.to_dict() if answer.short_answer else None,
        "related": [c.to_dict() for c in answer.related],
        "abstained": answer.abstained,
        "rewritten_query": answer.rewritten_query,
        "timings_ms": answer.timings_ms,
    }


async def sse(chunks: list[ChatChunk]) -> AsyncIterator[ServerSentEventMessage]:
    for chunk in chunks:
        yield ServerSentEventMessage(data=msgspec.json.encode(chunk).decode(), sep="\n")
    yield ServerSentEventMessage(data="[DONE]", sep="\n")


def chat_chunks(answer: Answer, head: dict[str, Any]) -> list[ChatChunk]:
    first = ChatChunk(**head, choices=[ChunkChoice(0, Delta(role="assistant", content=""))])
    body = [
        ChatChunk(**head, choices=[ChunkChoice(0, Delta(content=p))]) for p in chat_content(answer)
    ]
    last = ChatChunk(
        **head, choices=[ChunkChoice(0, Delta(), finish_reason="stop")], **extras(answer)
    )
    return [first, *body, last]


# ---------------------------------------------------------------- reading requests


def bad_request(message: str, param: str | None, code: str) -> ClientException:
    return ClientException(message, extra={"param": param, "code": code})


def conversation(messages: Sequence[ChatMessage], limits: Limits) -> tuple[str, list[str]]:
    """The question (the last, user, message) and the earlier user messages."""
    if not messages:
        raise bad_request(
            "'messages' is empty — send at least one user message", "messages", "invalid_messages"
        )
    if len(messages) > limits.max_messages:
        raise bad_request(
            f"too many messages ({len(messages)} > {limits.max_messages}) — "
            "start a new conversation",
            "messages",
            "too_many_messages",
        )
    if messages[-1].role != "user":
        raise bad_request(
            "the last message must be the user's question (role 'user')",
            "messages",
            "invalid_messages",
        )
    earlier = [m.text() for m in messages[:-1] if m.role == "user"]
    return messages[-1].text(), earlier


async def parse_body(request: Request[Any, Any, Any]) -> None:
    """Check and parse the JSON body before the handler does, where its failures can be told
    apart: the decoder raises UnicodeDecodeError for bytes that are not UTF-8 and RecursionError
    for deeply nested arrays, which litestar would let through as 500s. Reading the body enforces
    the size limit (413); the parsed body is cached for the handler, and invalid JSON is left to
    the handler's own parse, which reports it as a 400."""
    body = await request.body()
    if not body.strip():
        raise bad_request("the request body is empty — send a JSON object", None, "invalid_request")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(
            f"the request body is not valid UTF-8 (byte {exc.start}) — send UTF-8 JSON",
            None,
            "invalid_encoding",
        ) from None
    try:
        await request.json()
    except RecursionError:
        raise bad_request(
            "the request body is nested too deeply to be a request", None, "invalid_request"
        ) from None
    except SerializationException:
        pass
