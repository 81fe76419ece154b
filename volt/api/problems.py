"""Errors in one shape: `application/problem+json` (RFC 9457), never a trace, SQL or path.

Expected failures (`VoltError`) keep their status; validation errors are 422 with the fields at
fault (without echoing the submitted values: a login code must not come back); anything else is a
logged 500 with a generic body.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from volt.errors import AuthenticationError, RateLimitedError, VoltError

log = logging.getLogger("volt.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://volt.example/problems/"  # stable identifiers, documented in /docs


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The body of every error response."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "not-authenticated"])
    title: str = Field(examples=["Not authenticated"])
    status: int = Field(examples=[401])
    detail: str = Field(examples=["The token has expired."])
    hint: str | None = Field(default=None, examples=["Request a new code: POST /v1/auth/code."])
    errors: list[FieldProblem] | None = None


def problem_type(title: str) -> str:
    return PROBLEM_TYPE_BASE + "-".join(title.lower().split())


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    hint: str | None = None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=problem_type(title),
        title=title,
        status=status,
        detail=detail,
        hint=hint,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def error_headers(exc: VoltError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer realm="volt"'
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    return headers


async def _volt_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VoltError)
    if exc.status_code >= 500:
        log.error("api.request.failed %s %s: %s", request.method, request.url.path, exc.message)
    return problem_response(
        exc.status_code, exc.title, exc.message, hint=exc.hint, headers=error_headers(exc)
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldProblem(loc=list(e.get("loc", ())), msg=str(e.get("msg", "")), type=str(e["type"]))
        for e in exc.errors()
    ]
    return problem_response(
        422, "Invalid request", "The request does not match the API's schema.", errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed", 400: "Bad request"}
    title = titles.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route {request.url.path}."
    return problem_response(exc.status_code, title, detail, headers=dict(exc.headers or {}))


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    # psycopg's message may hold SQL or host names: logged, never sent.
    log.error("api.database.unavailable %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return problem_response(
            503,
            "Service unavailable",
            "The query took longer than the server allows.",
            hint="Narrow the request (a smaller area, fewer metrics) or retry later.",
        )
    return problem_response(
        503, "Service unavailable", "The database is unavailable.", hint="Retry in a moment."
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("api.request.crashed %s %s", request.method, request.url.path)
    return problem_response(
        500, "Internal error", "Something went wrong on our side; it has been logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VoltError, _volt_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(psycopg.OperationalError, _database_down)
    app.add_exception_handler(PoolTimeout, _database_down)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem shape for these statuses."""
    descriptions = {
        400: "The body could not be read (not UTF-8, or not parseable at all).",
        401: "Missing, invalid, expired or revoked token.",
        403: "The token's role does not allow this route.",
        422: "Invalid input.",
        429: "Rate limit exceeded; see Retry-After.",
        503: "A backing service is unavailable.",
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
