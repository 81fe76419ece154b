"""Rate limits: named zones of `limits` rules over the cache's storage, applied per client IP by a
FastAPI dependency, and reported in `RateLimit-*` headers by a small ASGI middleware.

Zones and defaults (each overridable with VOLT_RATE_LIMITS='{"zone": "..."}'):

- `default`, every /v1 route, per IP: on average 1 request/s with bursts of 10. Fails open: if the
  store is down the request goes through (a warning is logged), since refusing all traffic would
  turn a cache outage into a full outage.
- `auth_code` (per IP), `auth_code_email` (per e-mail hash), `auth_token` (per IP): the login
  routes. They fail closed (503): without counters, codes could be requested or guessed freely.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NamedTuple

from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from volt.api.clientip import client_ip, parse_networks
from volt.cache.base import Cache
from volt.config import Settings
from volt.errors import ConfigError, RateLimitedError, ServiceUnavailableError

log = logging.getLogger("volt.api.ratelimit")


class Zone(NamedTuple):
    default: str
    fail_open: bool


ZONES: dict[str, Zone] = {
    # The seed's rule: 1 request/s on average; 10 in a burst covers a page loading its parts.
    "default": Zone("10/10 seconds", fail_open=True),
    # A person needs one or two codes; the hourly cap stops one IP from using us to mail-bomb
    # many addresses (5/minute alone would be 7,200 mails a day).
    "auth_code": Zone("5/minute;50/hour", fail_open=False),
    # Per address: a victim's mailbox gets at most 10 codes a day whoever asks for them.
    "auth_code_email": Zone("3/15 minutes;10/day", fail_open=False),
    # Guessing is already bounded per code (a few attempts, then void); this bounds it per IP.
    "auth_token": Zone("10/minute", fail_open=False),
}

STATE_KEY = "ratelimit"  # request.state.ratelimit: the status the response headers report
LIMITS_HINT = 'Use the `limits` notation, e.g. "10/10 seconds" or "5/minute;50/hour".'


@dataclass(frozen=True)
class ZonePolicy:
    name: str
    items: tuple[RateLimitItem, ...]
    fail_open: bool


@dataclass(frozen=True)
class RateLimitStatus:
    """What the `RateLimit-*` headers say: the limit, what is left, seconds until a slot frees."""

    limit: int
    remaining: int
    reset: int


class RateLimitExceededError(RateLimitedError):
    """A 429 that also knows the status, so the 429 carries the `RateLimit-*` headers too."""

    def __init__(self, message: str, *, status: RateLimitStatus) -> None:
        super().__init__(
            message,
            retry_after=status.reset,
            hint="Wait the number of seconds in the Retry-After header, then retry.",
        )
        self.status = status


def zone_policies(settings: Settings) -> dict[str, ZonePolicy]:
    """Every zone's rules, from its default or its override; a clear ConfigError if one is bad."""
    unknown = sorted(set(settings.rate_limits) - set(ZONES))
    if unknown:
        raise ConfigError(
            f"Unknown rate-limit zone(s) in VOLT_RATE_LIMITS: {', '.join(unknown)}.",
            hint=f"Known zones: {', '.join(ZONES)}.",
        )
    return {
        name: ZonePolicy(
            name, _parse_zone(name, settings.rate_limits.get(name, zone.default)), zone.fail_open
        )
        for name, zone in ZONES.items()
    }


def _parse_zone(name: str, text: str) -> tuple[RateLimitItem, ...]:
    try:
        items = parse_many(text)
    except ValueError:
        raise ConfigError(
            f"Rate-limit zone {name!r}: {text!r} is not a valid limit.", hint=LIMITS_HINT
        ) from None
    if any(item.amount < 1 for item in items):
        raise ConfigError(
            f"Rate-limit zone {name!r}: {text!r} allows no request at all.",
            hint="Each limit needs at least 1 request per period.",
        )
    return tuple(items)


class RateLimiter:
    """Counts hits per zone and identity in the cache's `limits` storage."""

    def __init__(self, settings: Settings, cache: Cache) -> None:
        self.zones = zone_policies(settings)
        self.enabled = settings.rate_limit_enabled  # false only in benchmarks (prod refuses it)
        self.trusted_proxies = parse_networks(settings.trusted_proxies)
        self._prefix = settings.cache_prefix
        # Moving window: exactly N hits in ANY period-long interval, so "3/10 seconds" never lets
        # 6 through around a window edge (fixed window does), and Retry-After is exact: the time
        # until the oldest hit leaves the window. It stores one timestamp per hit, which the small
        # counts of these zones make cheap.
        self._strategy = MovingWindowRateLimiter(cache.rate_limit_storage())

    async def hit(self, zone: str, identity: str) -> RateLimitStatus | None:
        """Count one hit; raise `RateLimitExceededError` (429) past the zone's limits.

        None means the store is down and the zone fails open (the hit was not counted), or rate
        limiting is off; a zone that fails closed raises `ServiceUnavailableError` (503) instead.
        """
        policy = self.zones[zone]
        if not self.enabled:
            return None
        try:
            return await self._hit(policy, identity_key(identity))
        except ServiceUnavailableError:
            action = "allow" if policy.fail_open else "refuse"
            log.warning("ratelimit.store.unavailable zone=%s action=%s", zone, action)
            if policy.fail_open:
                return None
            raise ServiceUnavailableError(
                "Rate limits cannot be checked right now, so this route is refused.",
                hint="Retry in a moment.",
            ) from None

    async def _hit(self, policy: ZonePolicy, key: str) -> RateLimitStatus:
        ids = (self._prefix, policy.name, key)
        # Rules are hit in order and the first one exceeded stops: a refused hit may still have
        # counted against earlier rules, which errs on the strict side.
        for item in policy.items:
            if not await self._strategy.hit(item, *ids):
                status = await self._status(item, ids)
                raise RateLimitExceededError(
                    f"Too many requests: at most {item.amount} per {_period(item)}.",
                    status=RateLimitStatus(item.amount, 0, status.reset),
                )
        statuses = [await self._status(item, ids) for item in policy.items]
        # The headers report the rule closest to refusing (RateLimit header draft).
        return min(statuses, key=lambda s: (s.remaining, -s.reset))

    async def _status(self, item: RateLimitItem, ids: tuple[str, ...]) -> RateLimitStatus:
        stats = await self._strategy.get_window_stats(item, *ids)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return RateLimitStatus(item.amount, max(0, stats.remaining), reset)


def identity_key(identity: str) -> str:
    """A fixed-shape key part (no separator can appear in it), whatever the identity holds.

    Not a secret: callers pass e-mails already keyed-hashed; IPs need no secrecy from our cache.
    """
    return hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()


def _period(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


@functools.cache  # one callable per zone: FastAPI then runs it once per request, not per mention
def rate_limited(zone: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency counting the request in `zone`, per client IP (X-Forwarded-For only from
    VOLT_TRUSTED_PROXIES): `dependencies=[Depends(rate_limited("auth_code"))]`."""
    if zone not in ZONES:
        raise ValueError(f"unknown rate-limit zone {zone!r}")

    async def check_rate_limit(request: Request) -> None:
        limiter: RateLimiter = request.app.state.volt.limiter
        try:
            status = await limiter.hit(zone, client_ip(request, limiter.trusted_proxies))
        except RateLimitExceededError as exc:
            remember_status(request, exc.status)
            raise
        if status is not None:
            remember_status(request, status)

    return check_rate_limit


def remember_status(request: Request, status: RateLimitStatus) -> None:
    """Keep, of the zones a request went through, the one closest to refusing, for the headers."""
    current: RateLimitStatus | None = getattr(request.state, STATE_KEY, None)
    if current is None or status.remaining <= current.remaining:
        setattr(request.state, STATE_KEY, status)


class RateLimitHeadersMiddleware:
    """Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (delta seconds) to
    responses whose request went through a zone, 429s included.

    Pure ASGI (not BaseHTTPMiddleware): it only edits the response start message, so streaming
    responses and background tasks are untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The dict request.state writes into, held here in case a layer copies the scope.
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            status = state.get(STATE_KEY)
            if message["type"] == "http.response.start" and isinstance(status, RateLimitStatus):
                headers = MutableHeaders(scope=message)
                headers["RateLimit-Limit"] = str(status.limit)
                headers["RateLimit-Remaining"] = str(status.remaining)
                headers["RateLimit-Reset"] = str(status.reset)
            await send(message)

        await self.app(scope, receive, send_with_headers)
