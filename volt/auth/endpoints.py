"""Login routes: `POST /v1/auth/code`, `POST /v1/auth/token`, `POST /v1/auth/logout`, `GET /me`."""

from __future__ import annotations

import time
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from volt.api.clientip import client_ip
from volt.api.deps import AppStateDep, WriteConn
from volt.api.problems import problem_responses
from volt.api.ratelimit import RateLimitExceededError, rate_limited, remember_status
from volt.api.security import ReaderOrAdmin
from volt.auth import service
from volt.auth.schemas import (
    CODE_SENT_DETAIL,
    CodeExchange,
    CodeRequest,
    CodeRequested,
    MeRead,
    TokenForm,
    TokenRead,
)

router = APIRouter(prefix="/auth", tags=["auth"])

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

# Both bodies of POST /token, so that the docs show both (the route reads the body itself).
TOKEN_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {"schema": TokenForm.model_json_schema()},
            JSON: {"schema": CodeExchange.model_json_schema()},
        },
    }
}


@router.post(
    "/code",
    status_code=202,
    summary="Send a one-time login code by e-mail",
    description=(
        "Always answers 202 with the same body, whether or not the address may log in, and "
        "never returns the code. The code has 6 digits, lives 5 minutes, works once and dies "
        "after 5 wrong attempts. Rate-limited per client IP and per address."
    ),
    dependencies=[Depends(rate_limited("auth_code"))],
    # 400: FastAPI's answer to a body it cannot decode (invalid UTF-8), before validation.
    responses=problem_responses(400, 422, 429, 503),
)
async def request_code(
    body: CodeRequest, request: Request, state: AppStateDep, conn: WriteConn
) -> CodeRequested:
    started = time.monotonic()
    try:
        ip = client_ip(request, state.limiter.trusted_proxies)
        await service.request_code(state, conn, body.email, ip)
    except RateLimitExceededError as exc:
        remember_status(request, exc.status)  # the per-address zone, in the 429's headers
        raise
    finally:
        # Known addresses cost a mail, unknown ones nothing: every answer takes at least the
        # floor, so that the time does not tell them apart.
        floor = state.settings.login_code_min_response_ms / 1000
        await anyio.sleep(max(0.0, floor - (time.monotonic() - started)))
    return CodeRequested(detail=CODE_SENT_DETAIL)


@router.post(
    "/token",
    summary="Exchange an e-mailed code for a bearer token",
    description=(
        "Either the OAuth2 password form (`username` = e-mail, `password` = code; what Swagger's "
        "*Authorize* sends) or JSON `{email, code}`. A wrong, expired or used code is a 401, "
        "the same for all three. Reader tokens live 30 minutes, admin tokens 60."
    ),
    dependencies=[Depends(rate_limited("auth_token"))],
    openapi_extra=TOKEN_OPENAPI,
    responses=problem_responses(401, 422, 429, 503),
)
async def issue_token(
    request: Request, response: Response, state: AppStateDep, conn: WriteConn
) -> TokenRead:
    email, code = await _read_credentials(request)
    ip = client_ip(request, state.limiter.trusted_proxies)
    issued = await service.exchange_code(state, conn, email, code, ip)
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: tokens are not cached
    return TokenRead(
        access_token=issued.access_token, expires_in=issued.expires_in, role=issued.principal.role
    )


async def _read_credentials(request: Request) -> tuple[str, str]:
    """(e-mail, code) from a JSON body or an OAuth2 password form; 422 for anything else."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    try:
        if media_type == JSON:
            exchange = CodeExchange.model_validate_json(await request.body())
            return exchange.email, exchange.code
        if media_type == FORM:
            form = await request.form()
            fields = {key: value for key, value in form.items() if isinstance(value, str)}
            password_form = TokenForm.model_validate(fields)
            return password_form.username, password_form.password
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None
    raise RequestValidationError(
        [
            {
                "type": "unsupported_media_type",
                "loc": ("header", "content-type"),
                "msg": f"Send {JSON} {{email, code}} or an OAuth2 password form ({FORM}).",
            }
        ]
    )


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    summary="Revoke this token",
    responses=problem_responses(401, 429, 503),
)
async def logout(
    principal: ReaderOrAdmin, request: Request, state: AppStateDep, conn: WriteConn
) -> None:
    ip = client_ip(request, state.limiter.trusted_proxies)
    await service.logout(state, conn, principal, ip)


@router.get(
    "/me",
    summary="Who this token belongs to",
    responses=problem_responses(401, 429, 503),
)
async def get_me(principal: ReaderOrAdmin, conn: WriteConn) -> MeRead:
    return await service.get_me(conn, principal)
