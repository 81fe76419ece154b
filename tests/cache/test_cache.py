"""The same behaviour from both cache backends (memory and a real Redis), and a Redis that is down
or silent failing fast as a 503-class error that never shows the password."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from volt.cache.base import Cache, cache_key
from volt.cache.memory import MemoryCache
from volt.cache.redis import COMMAND_TIMEOUT_S, RedisCache, redact_url
from volt.errors import ServiceUnavailableError

pytestmark = pytest.mark.anyio

CLOSED_PORT_URL = "redis://volt:S3cret-pw@127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    backend: Cache
    if request.param == "memory":
        backend = MemoryCache()
    else:
        backend = RedisCache(request.getfixturevalue("redis_url"))
    yield backend
    await backend.close()


@pytest.fixture
def key() -> str:
    """A key of this test's own: tests share the Redis database."""
    return cache_key(f"test{secrets.token_hex(4)}", "k")


async def test_get_returns_what_set_stored(cache: Cache, key: str) -> None:
    assert await cache.get(key) is None
    await cache.set(key, b"v1", ttl=5)
    assert await cache.get(key) == b"v1"
    await cache.set(key, b"v2", ttl=5)
    assert await cache.get(key) == b"v2"


async def test_get_many_returns_values_in_key_order(cache: Cache, key: str) -> None:
    other = key + "2"
    assert await cache.get_many() == []
    assert await cache.get_many(key, other) == [None, None]
    await cache.set(other, b"b", ttl=5)
    await cache.set(key, b"a", ttl=0.2)
    assert await cache.get_many(other, key, other) == [b"b", b"a", b"b"]
    await asyncio.sleep(0.3)
    assert await cache.get_many(key, other) == [None, b"b"]


async def test_values_expire_after_their_ttl(cache: Cache, key: str) -> None:
    await cache.set(key, b"v", ttl=0.2)
    assert await cache.get(key) == b"v"
    await asyncio.sleep(0.3)
    assert await cache.get(key) is None


async def test_add_sets_only_when_absent(cache: Cache, key: str) -> None:
    assert await cache.add(key, b"first", ttl=0.2) is True
    assert await cache.add(key, b"second", ttl=0.2) is False
    assert await cache.get(key) == b"first"
    await asyncio.sleep(0.3)
    assert await cache.add(key, b"third", ttl=5) is True
    assert await cache.get(key) == b"third"


async def test_concurrent_adds_exactly_one_wins(cache: Cache, key: str) -> None:
    results = await asyncio.gather(*(cache.add(key, str(i).encode(), ttl=5) for i in range(50)))
    assert results.count(True) == 1
    assert await cache.get(key) == str(results.index(True)).encode()


async def test_pop_returns_the_value_once(cache: Cache, key: str) -> None:
    await cache.set(key, b"code", ttl=5)
    assert await cache.pop(key) == b"code"
    assert await cache.pop(key) is None
    assert await cache.get(key) is None


async def test_concurrent_pops_exactly_one_wins(cache: Cache, key: str) -> None:
    await cache.set(key, b"single-use", ttl=5)
    results = await asyncio.gather(*(cache.pop(key) for _ in range(50)))
    assert results.count(b"single-use") == 1
    assert results.count(None) == 49


async def test_incr_is_atomic_under_concurrency(cache: Cache, key: str) -> None:
    results = await asyncio.gather(*(cache.incr(key, ttl=5) for _ in range(100)))
    assert sorted(results) == list(range(1, 101))
    assert await cache.get(key) == b"100"


async def test_incr_keeps_the_expiry_set_at_creation(cache: Cache, key: str) -> None:
    assert await cache.incr(key, ttl=0.5) == 1
    await asyncio.sleep(0.3)
    assert await cache.incr(key, ttl=0.5) == 2  # does not push the expiry 0.5 s further
    await asyncio.sleep(0.3)
    assert await cache.get(key) is None
    assert await cache.incr(key, ttl=0.5) == 1


async def test_delete_counts_the_keys_that_existed(cache: Cache, key: str) -> None:
    other, missing = key + "2", key + "3"
    await cache.set(key, b"a", ttl=5)
    await cache.set(other, b"b", ttl=5)
    assert await cache.delete(key, other, missing) == 2
    assert await cache.get(key) is None
    assert await cache.delete() == 0


async def test_ping_answers_when_reachable(cache: Cache) -> None:
    await cache.ping()


def test_cache_key_joins_parts_and_rejects_colons_and_empty_parts() -> None:
    assert cache_key("volt", "code", "ab12") == "volt:code:ab12"
    with pytest.raises(ValueError, match="'a:b'"):
        cache_key("volt", "a:b")
    with pytest.raises(ValueError, match="''"):
        cache_key("volt", "")


def test_redis_cache_is_built_without_connecting() -> None:
    RedisCache(CLOSED_PORT_URL)  # would raise if it tried to reach the closed port


async def test_unreachable_redis_ping_is_503_fast_and_hides_the_password() -> None:
    cache = RedisCache(CLOSED_PORT_URL)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError) as caught:
        await cache.ping()
    assert time.monotonic() - started < 1.0
    assert caught.value.message == (
        "Cannot reach Redis at redis://volt:***@127.0.0.1:1/0 (ConnectionError)."
    )
    assert caught.value.hint == "Check that Redis is running and that VOLT_REDIS_URL points to it."
    await cache.close()


@pytest.mark.parametrize("operation", ["get", "get_many", "set", "add", "pop", "delete", "incr"])
async def test_unreachable_redis_operations_are_503(operation: str) -> None:
    cache = RedisCache(CLOSED_PORT_URL)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "get": lambda: cache.get("k"),
        "get_many": lambda: cache.get_many("k", "l"),
        "set": lambda: cache.set("k", b"v", 1),
        "add": lambda: cache.add("k", b"v", 1),
        "pop": lambda: cache.pop("k"),
        "delete": lambda: cache.delete("k"),
        "incr": lambda: cache.incr("k", 1),
    }
    with pytest.raises(ServiceUnavailableError) as caught:
        await calls[operation]()
    assert caught.value.message == "The cache is unavailable (ConnectionError)."
    assert "S3cret-pw" not in str(caught.value)
    await cache.close()


async def test_silent_redis_times_out_instead_of_hanging() -> None:
    """A server that accepts connections and never answers (a hung Redis, a black hole)."""

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cache = RedisCache(f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError) as caught:
        await cache.get("k")
    elapsed = time.monotonic() - started
    assert COMMAND_TIMEOUT_S <= elapsed < COMMAND_TIMEOUT_S + 0.5
    assert caught.value.message == "The cache is unavailable (TimeoutError)."
    await cache.close()
    server.close()


def test_redact_url_masks_passwords_only() -> None:
    assert redact_url("redis://:pw@h:6379/0") == "redis://:***@h:6379/0"
    assert redact_url("rediss://user:p%40ss@h/1") == "rediss://user:***@h/1"
    assert redact_url("redis://:p@ss@h/0") == "redis://:***@h/0"  # an unencoded @ in it
    assert redact_url("redis://h:6379/2") == "redis://h:6379/2"
    assert redact_url("unix:///run/redis.sock?db=3&password=pw") == (
        "unix:///run/redis.sock?db=3&password=***"
    )
