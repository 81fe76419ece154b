"""One-time login codes: 6 digits from `secrets`, stored only as a keyed hash, single use.

A plain hash of a 6-digit code falls to a million guesses in a blink, so the stored value is an
HMAC under a key derived from VOLT_SECRET_KEY, bound to the address. Attempts are counted before
the comparison: past `login_code_attempts` the code is void, even when the guess is right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from volt.api.keys import KeyPurpose, derived_key
from volt.cache.base import Cache, cache_key
from volt.config import Settings

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _digest(settings: Settings, email_hash: str, code: str) -> bytes:
    message = f"{email_hash}:{code}".encode()
    return hmac.new(derived_key(settings, KeyPurpose.LOGIN_CODE), message, hashlib.sha256).digest()


def _code_key(settings: Settings, email_hash: str) -> str:
    return cache_key(settings.cache_prefix, "login_code", email_hash)


def _attempts_key(settings: Settings, email_hash: str) -> str:
    return cache_key(settings.cache_prefix, "login_attempts", email_hash)


async def store_code(cache: Cache, settings: Settings, email_hash: str) -> str:
    """A fresh code for this address; it replaces any previous one and resets the attempts."""
    code = new_code()
    await cache.set(
        _code_key(settings, email_hash),
        _digest(settings, email_hash, code),
        settings.login_code_seconds,
    )
    await cache.delete(_attempts_key(settings, email_hash))
    return code


async def void_code(cache: Cache, settings: Settings, email_hash: str) -> None:
    await cache.delete(_code_key(settings, email_hash))


async def check_code(cache: Cache, settings: Settings, email_hash: str, code: str) -> bool:
    """True once per stored code, for the right code within the allowed attempts."""
    attempts = await cache.incr(_attempts_key(settings, email_hash), settings.login_code_seconds)
    if attempts > settings.login_code_attempts:
        await void_code(cache, settings, email_hash)
        return False
    expected = _digest(settings, email_hash, code)
    stored = await cache.get(_code_key(settings, email_hash))
    if stored is None or not hmac.compare_digest(stored, expected):
        return False
    # pop is atomic: of two concurrent right answers only the one that removes the code wins,
    # and a code replaced in between (a new request) is not the one that was checked.
    popped = await cache.pop(_code_key(settings, email_hash))
    if popped is None or not hmac.compare_digest(popped, expected):
        return False
    await cache.delete(_attempts_key(settings, email_hash))
    return True
