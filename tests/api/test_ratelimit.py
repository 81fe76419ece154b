"""Rate limits through the real app (memory and Redis backends): exact counts at the boundary,
429 and RateLimit-* headers, per-client counters, X-Forwarded-For only from trusted proxies,
fail-open and fail-closed zones when Redis is down; and client_ip()'s proxy walk."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.requests import Request

from volt.api.clientip import client_ip, parse_networks
from volt.api.problems import PROBLEM_MEDIA_TYPE
from volt.api.ratelimit import RateLimiter, RateLimitExceededError, rate_limited
from volt.app import create_app, v1_router
from volt.cache.memory import MemoryCache
from volt.config import Settings, load_settings
from volt.errors import ConfigError

PROXY = ("10.0.0.2", 40000)  # a trusted proxy (10.0.0.0/8 below)
STRANGER = ("198.51.100.7", 40000)  # a client connecting directly, not trusted
CLOSED_PORT_REDIS = SecretStr("redis://127.0.0.1:1/0")
RETRY_HINT = "Wait the number of seconds in the Retry-After header, then retry."


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _test_app(settings: Settings) -> FastAPI:
    """The real app plus two test-only routes under /v1 (no product route exists there yet)."""
    app = create_app(settings)
    probe = APIRouter()

    @probe.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "ok"}

    @probe.get("/login-ping", dependencies=[Depends(rate_limited("auth_code"))])
    async def login_ping() -> dict[str, str]:
        return {"pong": "ok"}

    app.include_router(v1_router(probe))
    return app


@pytest.fixture(params=["memory", "redis"])
def settings(request: pytest.FixtureRequest, pg_settings: Settings) -> Settings:
    update: dict[str, Any] = {
        "cache_prefix": f"test{secrets.token_hex(4)}",  # counters of this test's own
        "rate_limits": {"default": "3/10 seconds", "auth_code": "2/10 seconds"},
        "trusted_proxies": ["10.0.0.0/8"],
    }
    if request.param == "redis":
        update["redis_url"] = SecretStr(request.getfixturevalue("redis_url"))
    return pg_settings.model_copy(update=update)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(_test_app(settings), client=STRANGER) as test_client:
        yield test_client


def _rate_headers(response: Any) -> tuple[str | None, str | None]:
    return response.headers.get("RateLimit-Limit"), response.headers.get("RateLimit-Remaining")


def test_default_zone_allows_exactly_its_limit_then_429(client: TestClient) -> None:
    for remaining in ("2", "1", "0"):
        response = client.get("/v1/ping")
        assert response.status_code == 200
        assert response.json() == {"pong": "ok"}
        assert _rate_headers(response) == ("3", remaining)
        assert 1 <= int(response.headers["RateLimit-Reset"]) <= 10

    refused = client.get("/v1/ping")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 10
    assert refused.headers["RateLimit-Reset"] == str(retry_after)
    assert _rate_headers(refused) == ("3", "0")
    assert refused.json() == {
        "type": "https://volt.example/problems/too-many-requests",
        "title": "Too many requests",
        "status": 429,
        "detail": "Too many requests: at most 3 per 10 seconds.",
        "hint": RETRY_HINT,
    }


def test_health_probes_are_outside_the_limits(client: TestClient) -> None:
    for _ in range(5):
        response = client.get("/health")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response.headers


def test_login_zone_applies_on_top_of_the_default_zone(client: TestClient) -> None:
    first = client.get("/v1/login-ping")
    assert first.status_code == 200
    # Both zones counted the hit; the headers report the one closest to refusing.
    assert _rate_headers(first) == ("2", "1")
    assert client.get("/v1/login-ping").status_code == 200
    refused = client.get("/v1/login-ping")
    assert refused.status_code == 429
    assert refused.json()["detail"] == "Too many requests: at most 2 per 10 seconds."
    assert _rate_headers(refused) == ("2", "0")
    # The default zone saw all three requests (the third was refused after it passed there).
    assert client.get("/v1/ping").status_code == 429


def test_clients_behind_a_trusted_proxy_have_their_own_counters(settings: Settings) -> None:
    with TestClient(_test_app(settings), client=PROXY) as proxied:
        alice = {"X-Forwarded-For": "203.0.113.1"}
        bob = {"X-Forwarded-For": "203.0.113.2"}
        assert [proxied.get("/v1/ping", headers=alice).status_code for _ in range(4)] == [
            200,
            200,
            200,
            429,
        ]
        response = proxied.get("/v1/ping", headers=bob)
        assert response.status_code == 200
        assert _rate_headers(response) == ("3", "2")


def test_forwarded_for_from_an_untrusted_peer_is_ignored(client: TestClient) -> None:
    codes = [
        client.get("/v1/ping", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_redis_down_default_zone_fails_open_login_zone_fails_closed(
    pg_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = pg_settings.model_copy(update={"redis_url": CLOSED_PORT_REDIS})
    caplog.set_level(logging.WARNING, logger="volt.api.ratelimit")
    with TestClient(_test_app(settings), client=STRANGER) as client:
        allowed = client.get("/v1/ping")
        assert allowed.status_code == 200
        assert "RateLimit-Limit" not in allowed.headers
        refused = client.get("/v1/login-ping")
    # /v1/login-ping passed the default zone (open), then the auth_code zone refused.
    assert refused.status_code == 503
    assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert refused.json() == {
        "type": "https://volt.example/problems/service-unavailable",
        "title": "Service unavailable",
        "status": 503,
        "detail": "Rate limits cannot be checked right now, so this route is refused.",
        "hint": "Retry in a moment.",
    }
    assert [r.getMessage() for r in caplog.records if r.name == "volt.api.ratelimit"] == [
        "ratelimit.store.unavailable zone=default action=allow",
        "ratelimit.store.unavailable zone=default action=allow",
        "ratelimit.store.unavailable zone=auth_code action=refuse",
    ]


# --- zones: configuration and several rules -----------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"defualt": "1/second"},
            "Unknown rate-limit zone(s) in VOLT_RATE_LIMITS: defualt.",
        ),
        (
            {"auth_code": "five per minute"},
            "Rate-limit zone 'auth_code': 'five per minute' is not a valid limit.",
        ),
        (
            {"auth_token": "5/minute;0/hour"},
            "Rate-limit zone 'auth_token': '5/minute;0/hour' allows no request at all.",
        ),
    ],
)
def test_bad_zone_settings_stop_the_app_with_a_clear_error(
    pg_settings: Settings, overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(pg_settings.model_copy(update={"rate_limits": overrides}))
    assert caught.value.message == message


@pytest.mark.anyio
async def test_every_rule_of_a_zone_must_pass(pg_settings: Settings) -> None:
    settings = pg_settings.model_copy(update={"rate_limits": {"auth_token": "5/10 seconds;2/hour"}})
    limiter = RateLimiter(settings, MemoryCache())
    first = await limiter.hit("auth_token", "2001:db8::1")
    assert first is not None
    # The hourly rule is the tighter one: 1 left of 2 (the 10-second one has 4 of 5).
    assert (first.limit, first.remaining) == (2, 1)
    assert 3590 <= first.reset <= 3600
    await limiter.hit("auth_token", "2001:db8::1")
    with pytest.raises(RateLimitExceededError) as caught:
        await limiter.hit("auth_token", "2001:db8::1")
    assert caught.value.message == "Too many requests: at most 2 per hour."
    assert 3590 <= caught.value.retry_after <= 3600
    other = await limiter.hit("auth_token", "2001:db8::2")
    assert other is not None and other.remaining == 1


@pytest.mark.anyio
async def test_zones_count_separately_for_the_same_identity(pg_settings: Settings) -> None:
    settings = pg_settings.model_copy(update={"rate_limits": {"auth_code": "1/minute"}})
    limiter = RateLimiter(settings, MemoryCache())
    await limiter.hit("auth_code", "203.0.113.1")
    status = await limiter.hit("auth_token", "203.0.113.1")
    assert status is not None and (status.limit, status.remaining) == (10, 9)
    with pytest.raises(RateLimitExceededError):
        await limiter.hit("auth_code", "203.0.113.1")


def test_rate_limited_refuses_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="unknown rate-limit zone 'login'"):
        rate_limited("login")


# --- client_ip ------------------------------------------------------------------------------

TRUSTED = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


def _request(peer: tuple[str, int] | None, *forwarded_for: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
    return Request({"type": "http", "headers": headers, "client": peer})


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        (STRANGER, ("203.0.113.9",), "198.51.100.7"),  # untrusted peer: header ignored
        (PROXY, (), "10.0.0.2"),  # a trusted peer that forwards nothing is the client
        (PROXY, ("203.0.113.9",), "203.0.113.9"),
        (PROXY, ("203.0.113.9, 10.0.0.7",), "203.0.113.9"),  # two proxies
        (PROXY, ("1.1.1.1, 203.0.113.9",), "203.0.113.9"),  # the client wrote 1.1.1.1
        (PROXY, ("1.1.1.1", "203.0.113.9"), "203.0.113.9"),  # two header lines, in order
        (PROXY, ("10.0.0.8",), "10.0.0.8"),  # all hops trusted: the furthest one
        (PROXY, ("203.0.113.9, garbage, 10.0.0.7",), "10.0.0.7"),  # stop at the last genuine
        (PROXY, ("203.0.113.9, ",), "10.0.0.2"),
        (PROXY, ("203.0.113.9:4711",), "203.0.113.9"),  # proxies that append the port
        (PROXY, ("[2001:db8::9]:443",), "2001:db8::9"),
        (PROXY, ("2001:db8::9",), "2001:db8::9"),
        (("::ffff:10.0.0.2", 1), ("203.0.113.9",), "203.0.113.9"),  # dual-stack socket
        (("2001:db8:ffff::1", 1), ("203.0.113.9",), "203.0.113.9"),
        (("testclient", 50000), ("203.0.113.9",), "testclient"),  # Starlette's TestClient
        (None, ("203.0.113.9",), "unknown"),
    ],
)
def test_client_ip(
    peer: tuple[str, int] | None, forwarded_for: tuple[str, ...], expected: str
) -> None:
    assert client_ip(_request(peer, *forwarded_for), TRUSTED) == expected


def test_client_ip_walks_a_bounded_number_of_hops() -> None:
    chain = ", ".join(["203.0.113.9"] + ["10.0.0.5"] * 100)
    assert client_ip(_request(PROXY, chain), TRUSTED) == "10.0.0.5"


def test_rate_limits_can_be_switched_off_for_benchmarks_only(pg_settings: Settings) -> None:
    off = pg_settings.model_copy(
        update={
            "rate_limit_enabled": False,
            "rate_limits": {"default": "1/minute"},
            "cache_prefix": f"test{secrets.token_hex(4)}",
        }
    )
    with TestClient(_test_app(off)) as client:
        statuses = [client.get("/v1/ping").status_code for _ in range(3)]
        assert "ratelimit-limit" not in client.get("/v1/ping").headers
    assert statuses == [200, 200, 200]
    with pytest.raises(ConfigError) as caught:
        load_settings(**(pg_settings.model_dump() | {"env": "prod", "rate_limit_enabled": False}))
    assert "VOLT_RATE_LIMIT_ENABLED=false turns the rate limits off" in caught.value.message
