"""Redis cache backend (redis-py asyncio): what several workers or servers share.

Nothing connects when it is built; the pool opens connections on first use. A server that cannot
be reached, or answers too slowly, is a `ServiceUnavailableError` from every operation (and from
the rate-limit storage it hands out), never a redis-py exception and never a hang.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from limits.aio.storage import RedisStorage, Storage
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from volt.errors import ServiceUnavailableError

# Redis answers in well under a millisecond on a LAN. Past one second it is down, swapping or
# blocked, and a request is better answered (503 on login, let through elsewhere) than left to
# pile up behind it; redis-py's default would wait 5 s, and retry 10 times with backoff.
CONNECT_TIMEOUT_S = 1.0
COMMAND_TIMEOUT_S = 1.0
# One immediate retry on a broken connection: after a Redis restart every pooled connection is
# dead, and the retry opens a fresh one instead of failing one request per stale connection.
# Timeouts are not retried (that would double the wait on a server that is merely slow).
RETRIES_ON_BROKEN_CONNECTION = 1

_AUTHORITY_PASSWORD = re.compile(r"^([a-z+]+://[^:/@?#]*):[^/?#]*@")  # scheme://user:password@
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*")  # unix:///path?password=…
UNREACHABLE_HINT = "Check that Redis is running and that VOLT_REDIS_URL points to it."

# INCR, and an expiry when the counter is new (or somehow has none), in one atomic step: a counter
# that outlived its expiry would lock a user out forever.
INCR_WITH_EXPIRY_LUA = """
local value = redis.call('INCR', KEYS[1])
if value == 1 or redis.call('PTTL', KEYS[1]) == -1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value
"""


class RedisCache:
    name = "redis"

    def __init__(self, url: str) -> None:
        self._url = url
        self.safe_url = redact_url(url)
        # from_url only parses: the first command opens the first connection.
        self._pool: ConnectionPool = ConnectionPool.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            socket_timeout=COMMAND_TIMEOUT_S,
            retry=Retry(
                NoBackoff(), RETRIES_ON_BROKEN_CONNECTION, supported_errors=(RedisConnectionError,)
            ),
        )
        self._redis = Redis(connection_pool=self._pool)
        self._incr = self._redis.register_script(INCR_WITH_EXPIRY_LUA)
        self._limits: Storage | None = None

    async def get(self, key: str) -> bytes | None:
        with unreachable_as_503():
            return _as_bytes(await self._redis.get(key))

    async def get_many(self, *keys: str) -> list[bytes | None]:
        if not keys:
            return []  # MGET without keys is a syntax error in Redis
        with unreachable_as_503():
            return [_as_bytes(value) for value in await self._redis.mget(keys)]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        with unreachable_as_503():
            await self._redis.set(key, value, px=_ms(ttl))

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        with unreachable_as_503():
            created = await self._redis.set(key, value, px=_ms(ttl), nx=True)
        return bool(created)

    async def pop(self, key: str) -> bytes | None:
        with unreachable_as_503():
            return _as_bytes(await self._redis.getdel(key))

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0  # DEL without keys is a syntax error in Redis
        with unreachable_as_503():
            return int(await self._redis.delete(*keys))

    async def incr(self, key: str, ttl: float) -> int:
        with unreachable_as_503():
            return int(await self._incr(keys=[key], args=[_ms(ttl)]))

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise ServiceUnavailableError(
                f"Cannot reach Redis at {self.safe_url} ({type(exc).__name__}).",
                hint=UNREACHABLE_HINT,
            ) from None  # redis-py's text may echo connection details; the type says enough

    def rate_limit_storage(self) -> Storage:
        if self._limits is None:
            self._limits = _LimitsStorage(_limits_uri(self._url), self._pool)
        return self._limits

    async def close(self) -> None:
        await self._redis.aclose()
        await self._pool.aclose()


@contextmanager
def unreachable_as_503() -> Iterator[None]:
    """redis-py's connection and timeout errors as the `ServiceUnavailableError` callers handle."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        # Generic text on purpose: it can reach an HTTP client as a 503 body.
        raise ServiceUnavailableError(
            f"The cache is unavailable ({type(exc).__name__}).", hint="Retry in a moment."
        ) from exc


class _LimitsStorage(RedisStorage):
    """`limits`' Redis storage on the cache's own connection pool, with the cache's errors.

    Only the operations of the moving-window strategy (and `clear`) are translated: it is the one
    volt uses (see volt.api.ratelimit).
    """

    def __init__(self, uri: str, pool: ConnectionPool) -> None:
        # The pool carries the timeouts and retry policy; redis-py's client, not coredis.
        options: dict[str, Any] = {"connection_pool": pool}
        super().__init__(uri, implementation="redispy", key_prefix="limits", **options)

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with unreachable_as_503():
            return await super().acquire_entry(key, limit, expiry, amount)

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        with unreachable_as_503():
            return await super().get_moving_window(key, limit, expiry)

    async def clear(self, key: str) -> None:
        with unreachable_as_503():
            await super().clear(key)


def _as_bytes(value: bytes | str | None) -> bytes | None:
    # str only if the URL asked for decode_responses=true; the protocol promises bytes.
    return value.encode() if isinstance(value, str) else value


def _ms(ttl: float) -> int:
    # Redis expiries are whole milliseconds and must be positive.
    return max(1, math.ceil(ttl * 1000))


def _limits_uri(url: str) -> str:
    """`limits` names its async Redis storages `async+redis://`, `async+rediss://`, …"""
    scheme = urlsplit(url).scheme
    if scheme == "unix":
        return "async+redis+unix" + url.removeprefix("unix")
    return "async+" + url


def redact_url(url: str) -> str:
    """The URL with its password (in the authority or a `password=` query item) masked."""
    url = _AUTHORITY_PASSWORD.sub(r"\1:***@", url, count=1)
    return _QUERY_PASSWORD.sub(r"\1***", url)
