"""Signed bearer tokens (JWT, HS256) and their revocation.

A token names a user and the role granted at login, for a short time (reader 30 min, admin 60 min
by default). Decoding pins the algorithm and requires every claim, so `alg: none`, another key,
an edited payload or a token minted for another audience are all refused the same way.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt

from volt.api.keys import KeyPurpose, derived_key
from volt.cache.base import Cache, cache_key
from volt.config import Settings
from volt.domain.roles import Role
from volt.errors import AuthenticationError

ALGORITHM = "HS256"
ISSUER = "volt"
AUDIENCE = "volt-api"
REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "jti", "iss", "aud"]
LOGIN_HINT = "Log in again: POST /v1/auth/code, then POST /v1/auth/token."


@dataclass(frozen=True)
class Principal:
    """Who calls: the user id and role a valid token carries."""

    user_id: int
    role: Role
    jti: str
    expires_at: datetime


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    principal: Principal
    expires_in: int  # seconds


def token_lifetime(settings: Settings, role: Role) -> timedelta:
    minutes = settings.admin_token_minutes if role.is_admin else settings.reader_token_minutes
    return timedelta(minutes=minutes)


def issue_token(
    settings: Settings,
    user_id: int,
    role: Role,
    *,
    now: datetime | None = None,
    lifetime: timedelta | None = None,
) -> IssuedToken:
    """Sign a token; `now` and `lifetime` let tests mint already-expired tokens."""
    issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
    lifetime = lifetime if lifetime is not None else token_lifetime(settings, role)
    expires_at = issued_at + lifetime
    jti = secrets.token_urlsafe(16)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": role.value,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": jti,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    token = jwt.encode(claims, derived_key(settings, KeyPurpose.TOKEN), algorithm=ALGORITHM)
    principal = Principal(user_id=user_id, role=role, jti=jti, expires_at=expires_at)
    return IssuedToken(token, principal, int(lifetime.total_seconds()))


def decode_token(settings: Settings, token: str) -> Principal:
    """The principal of a valid token, else `AuthenticationError` (expired, or invalid)."""
    principal = _verified(token, derived_key(settings, KeyPurpose.TOKEN))
    if principal.expires_at <= datetime.now(UTC):  # checked at each use, memo or not
        raise AuthenticationError("The token has expired.", hint=LOGIN_HINT)
    return principal


# A client sends the same token with every request, and verifying it (signature, JSON, claims in
# Python) was 6–8 % of an uncached data request. Only tokens that passed every check are kept
# (a failure raises, and lru_cache keeps no exceptions), by token text and key; expiry is checked
# again at each use above, and revocation is the callers' per-request cache check.
VERIFIED_KEPT = 4096


@lru_cache(maxsize=VERIFIED_KEPT)
def _verified(token: str, key: bytes) -> Principal:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],  # pinned: the header's `alg` is never trusted
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
        return Principal(
            user_id=_user_id(claims["sub"]),
            role=Role(claims["role"]),
            jti=_non_empty(claims["jti"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("The token has expired.", hint=LOGIN_HINT) from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        # One message for every other failure: the caller learns nothing about which check.
        raise AuthenticationError("The token is invalid.", hint=LOGIN_HINT) from None


def _user_id(sub: object) -> int:
    if not isinstance(sub, str) or not sub.isdecimal():
        raise ValueError("sub is not a user id")
    return int(sub)


def _non_empty(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("empty claim")
    return value


def revocation_key(settings: Settings, jti: str) -> str:
    return cache_key(settings.cache_prefix, "revoked", jti)


async def revoke(cache: Cache, settings: Settings, principal: Principal) -> None:
    """Refuse this token from now on; the mark lives until the token would have expired anyway."""
    remaining = (principal.expires_at - datetime.now(UTC)).total_seconds()
    if remaining > 0:
        await cache.set(revocation_key(settings, principal.jti), b"1", math.ceil(remaining))


async def is_revoked(cache: Cache, settings: Settings, jti: str) -> bool:
    return await cache.get(revocation_key(settings, jti)) is not None
