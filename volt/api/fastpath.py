"""Repeated data answers served from the response cache before routing (a pure ASGI layer).

A data answer depends only on the load, the path and the query (its ETag says so), and
`serve_data` caches every JSON answer aside under that ETag. Most of the cost of a cache hit is
FastAPI's machinery around it (routing, parameter models, dependency resolution), not the cache.
This layer answers a GET whose JSON answer is already cached without that machinery, after the
same checks the route would make:

1. a bearer token that decodes (signature, expiry, audience, issuer: `decode_token`);
2. in ONE cache round trip: the token's revocation mark, the account's cached status and the
   cached answer (or, for `If-None-Match`, the ETag alone); when only the answer is missing,
   the checked principal and status are left in the request's state for `reader_or_admin`;
3. an active account (the same `UserStatus` rules as `reader_or_admin`);
4. the `default` rate-limit zone, counted once, exactly as the route's dependency would.

Whenever any of this does not hold — no token, a bad one, an unknown or disabled account, no
cached answer, a stale load memo, a refused rate limit — the request goes on to the application
unchanged, which then answers as it always does (401, 429, a query…). So this layer never
produces an error of its own, and a refused hit is not counted twice (the moving window does not
record refused hits). GeoJSON routes re-label their answers after `serve_data` and always take
the normal path.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from volt.api.clientip import client_ip
from volt.api.data import CACHE_CONTROL, etag_for, etag_matches, response_key, served_load
from volt.api.ratelimit import STATE_KEY, RateLimitExceededError
from volt.api.security import CHECKED_KEY, UserStatus, status_key
from volt.api.state import AppState
from volt.api.tokens import decode_token, revocation_key
from volt.errors import VoltError

log = logging.getLogger("volt.api.fastpath")

PREFIX = "/v1/"
# Never from here: login and admin routes (their answers are not cached, and must never be),
# and GeoJSON layers (re-labelled after serve_data).
EXCLUDED_PREFIXES = ("/v1/auth/", "/v1/admin/")
EXCLUDED_SUFFIXES = (".geojson",)
BEARER = "bearer "


class CachedAnswerMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _eligible(scope):
            answered = await self._answer(scope, send)
            if answered:
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        """True when the answer was sent from the cache; False: let the application answer."""
        app = scope.get("app")
        state: AppState | None = getattr(getattr(app, "state", None), "volt", None)
        if state is None:
            return False
        request = Request(scope)
        token = _bearer(request.headers.get("authorization", ""))
        load = served_load(state)
        if token is None or load is None:
            return False
        settings = state.settings
        try:
            principal = decode_token(settings, token)
        except VoltError:
            return False
        etag = etag_for(load.data_version, scope["path"], request.query_params.multi_items())
        not_modified = etag_matches(request.headers.get("if-none-match", ""), etag)
        keys = [revocation_key(settings, principal.jti), status_key(state, principal.user_id)]
        if not not_modified:
            keys.append(response_key(settings.cache_prefix, etag))
        try:
            revoked, raw_status, *body = await state.cache.get_many(*keys)
        except VoltError:
            return False
        if revoked is not None or raw_status is None:
            return False
        status = UserStatus.decode(raw_status)
        if not status.is_active or status.role is None:
            return False
        if not not_modified and body[0] is None:
            # Checked, not answered: the route takes over without checking again.
            scope.setdefault("state", {})[CHECKED_KEY] = (token, principal, status)
            return False
        if not await _rate_limit(state, request, scope):
            return False
        headers = [
            (b"etag", etag.encode()),
            (b"cache-control", CACHE_CONTROL.encode()),
            (b"vary", b"Authorization"),
        ]
        if not_modified:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        content = body[0] or b""
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        return True


def _eligible(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    path: str = scope["path"]
    return (
        path.startswith(PREFIX)
        and not path.startswith(EXCLUDED_PREFIXES)
        and not path.endswith(EXCLUDED_SUFFIXES)
    )


def _bearer(header: str) -> str | None:
    if header[: len(BEARER)].lower() != BEARER:
        return None
    return header[len(BEARER) :].strip() or None


async def _rate_limit(state: AppState, request: Request, scope: Scope) -> bool:
    """Count the hit in the `default` zone as the /v1 dependency would; False if refused or
    if the store fails (the application then decides, and reports, as usual)."""
    limiter = state.limiter
    if not limiter.enabled:
        return True
    try:
        status = await limiter.hit("default", client_ip(request, limiter.trusted_proxies))
    except (RateLimitExceededError, VoltError):
        return False
    if status is not None:
        scope.setdefault("state", {})[STATE_KEY] = status
    return True
