"""Errors become OpenAI-style JSON bodies in one place: the litestar exception handlers that
`create_app` installs, for the `QAError` tree, HTTP exceptions and anything unexpected.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException

from qa.core.errors import CitationError, NotFound, QuestionRejected
from qa.serve.service import service_of
from qa.serve.wire import ErrorBody, ErrorDetail

log = logging.getLogger("qa.server")  # the server's log (`qa.serve.access_log.log_to` sets it up)


def _error(
    status: int,
    message: str,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[ErrorBody]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    if status == 401:
        kind = "authentication_error"
    body = ErrorBody(ErrorDetail(message, kind, param, code))
    return Response(body, status_code=status, headers=dict(headers or {}))


_DEFAULT_CODES = {
    400: "invalid_request",
    401: "invalid_api_key",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    503: "unavailable",
}


def on_qa_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    message = str(exc)
    if isinstance(exc, QuestionRejected):
        param = "messages" if request.url.path.startswith("/v1/") else "question"
        return _error(400, message, param, "question_rejected")
    if isinstance(exc, NotFound):
        return _error(404, message, None, "not_found")
    if isinstance(exc, CitationError):
        log.error("citation failed verification: %s", exc)
        return _error(500, "an answer failed its citation check — see the server log")
    return _error(503, message, None, "index_unavailable")


def on_http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    message, param, code = exc.detail, None, _DEFAULT_CODES.get(status)
    if isinstance(exc.extra, dict):
        param, code = exc.extra.get("param"), exc.extra.get("code") or code
    elif isinstance(exc, ValidationException) and exc.extra:
        first = exc.extra[0] if isinstance(exc.extra[0], dict) else {}
        detail = first.get("message")
        param = first.get("key") if first.get("key") != "data" else None
        message = f"invalid request body: {detail}" if detail else "invalid request body"
        if param and f"`{param}`" not in message:
            message += f" (at `{param}`)"
    elif isinstance(exc.__cause__, SerializationException):
        message = f"the request body is not valid JSON: {exc.detail}"
    if status == 413:
        limit = service_of(request.app.state).limits.max_body_bytes
        message = f"the request body is larger than {limit} bytes"
    if status >= 500 and status != 503:  # 503s (busy, starting, stopping) are expected
        log.error("%s %s: %s", request.method, request.url.path, exc.detail)
    return _error(status, message, param, code, exc.headers)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _error(500, "internal error — see the server log", None, "internal_error")
