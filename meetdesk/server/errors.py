"""Every error a request can end with, as one JSON shape: ``{error, message, details?}``.

Domain errors answer with the status and ``error`` of their code (``meetdesk.core.errors.ERRORS``, the one
table); FastAPI's own validation errors become 422 with one detail per bad field (or 400 "Malformed body"
for JSON that does not parse); anything unexpected is logged with its traceback and answered with a 500
that reveals nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from meetdesk.core import errors

logger = logging.getLogger(__name__)


_HTTP_ERRORS = {
    400: "Bad Request",
    401: "Authentication Error",
    403: "Authorization Error",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}


def error_response(status: int, error: str, message: str, details: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    return ".".join(str(part) for part in parts) or str(loc[0] if loc else "body")


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value"))
    return message.removeprefix("Value error, ")


def status_of(exc: errors.MeetDeskError) -> int:
    """The HTTP status of a domain error."""
    return exc.status


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.MeetDeskError)
    status = status_of(exc)
    details = None
    if isinstance(exc, errors.ValidationFailed):
        details = [{"field": problem.field, "message": problem.message} for problem in exc.details]
    response = error_response(status, exc.error, exc.message, details)
    if isinstance(exc, errors.TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def respond_to(request: Request, exc: errors.MeetDeskError) -> JSONResponse:
    """The response of a domain error raised outside a route (in a middleware), as a route's would be."""
    return await _domain_error(request, exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return error_response(400, "Bad Request", "Malformed body")
    details = [{"field": _field_name(tuple(p.get("loc", ()))), "message": _message(p)} for p in problems]
    return error_response(422, "Unprocessable Entity", "Invalid request", details)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error = _HTTP_ERRORS.get(exc.status_code, "Error")
    message = exc.detail if isinstance(exc.detail, str) else error
    response = error_response(exc.status_code, error, message)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("Unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "Internal Server Error", "Unexpected error: the server log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.MeetDeskError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
