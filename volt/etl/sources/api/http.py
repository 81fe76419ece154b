"""One HTTP layer for the live sources: per-host request quotas, bounded concurrency, timeouts,
retries with exponential backoff and jitter that honour `Retry-After`, and a clear failure after
the retry budget. Every request of the Enedis, ADEME and BAN adapters goes through `HttpClient`.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from volt import __version__
from volt.errors import VoltError

T = TypeVar("T")

USER_AGENT = f"volt/{__version__} (+https://github.com/volt-energy/volt; open-data ETL)"
# 429 and the gateway family are the portals' "come back later"; other 4xx are our mistake.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A Retry-After longer than this is a quota for the day, not a pause: stop and say so.
RETRY_AFTER_MAX_S = 300.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5  # a portal moving a file once or twice is normal; more is a loop
# Connecting should be quick even when a page takes long to build on the server.
CONNECT_TIMEOUT_S = 10.0
DOWNLOAD_CHUNK = 1024 * 1024
# How often a request waiting for a quota slot looks again while every slot is in flight.
POLL_S = 0.01


@dataclass(frozen=True)
class HostPolicy:
    """Politeness and patience towards one host."""

    requests: int  # at most `requests` started in any window of `per_seconds`
    per_seconds: float
    concurrency: int = 4  # requests in flight at most
    timeout_s: float = 60.0
    retries: int = 6  # retries after the first attempt
    backoff_base_s: float = 0.5
    backoff_max_s: float = 60.0


class FetchError(VoltError):
    """A source could not be read after the retry budget (or refused the request)."""

    status_code = 502
    exit_code = 1
    title = "Source unavailable"


class BadPayload(ValueError):  # noqa: N818 - reads as what it is: a bad payload
    """Raised by a `parse` callback when a body is not what the API promises; retried."""


@dataclass
class FetchStats:
    """What the HTTP layer did, for the CLI's summary."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429 answers
    waited_s: float = 0.0  # time spent waiting for a quota slot or a Retry-After pause
    bytes: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)  # retry reasons

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "waited_s": round(self.waited_s, 3),
            "bytes": self.bytes,
            "by_reason": dict(sorted(self.by_reason.items())),
        }


class SlidingWindowQuota:
    """At most `requests` requests in any window of `per_seconds`, as the server counts them.

    Why not a plain token bucket (aiolimiter): a full bucket of N plus N refills lets 2N requests
    through in one window, which is exactly what the portals' "N per window" quota punishes.
    A slot is held from the request's start to its end, and the window is counted from the end:
    the server saw the request somewhere in between, so the next one, W after that end, can never
    share its window whatever the network delays (counted from the starts, 9 of 5 were seen).
    """

    def __init__(self, requests: int, per_seconds: float) -> None:
        self._requests, self._window = requests, per_seconds
        self._slots: list[list[float]] = []  # [end time]; inf while the request is in flight
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Hold a slot for one request; yields the seconds waited for it."""
        entry = [math.inf]
        waited = await self._acquire(entry)
        try:
            yield waited
        finally:
            entry[0] = time.monotonic()

    async def _acquire(self, entry: list[float]) -> float:
        waited = 0.0
        async with self._lock:  # FIFO: one waiter computes its slot at a time
            while True:
                now = time.monotonic()
                self._slots = [s for s in self._slots if now - s[0] < self._window]
                if len(self._slots) < self._requests:
                    self._slots.append(entry)
                    return waited
                oldest_end = min(s[0] for s in self._slots)
                # All in flight: look again shortly (a slot frees when a request ends).
                pause = oldest_end + self._window - now if oldest_end < math.inf else POLL_S
                waited += pause
                await asyncio.sleep(pause)


class _Host:
    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy
        self.quota = SlidingWindowQuota(policy.requests, policy.per_seconds)
        self.slots = asyncio.Semaphore(policy.concurrency)
        self.paused_until = 0.0  # monotonic; a 429 pauses the whole host, not one request

    async def wait_pause(self) -> float:
        pause = self.paused_until - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
            return pause
        return 0.0


class _RedirectError(Exception):
    """A redirect to follow (by `_follow`), not a failure: never retried."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class _RetryableError(Exception):
    """One failed attempt worth retrying; `after` is the server's Retry-After, if any."""

    def __init__(self, reason: str, detail: str, after: float | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.after = reason, detail, after


def host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class HttpClient:
    """An httpx.AsyncClient with the politeness and patience of `HostPolicy`, per host."""

    def __init__(
        self,
        policies: Mapping[str, HostPolicy],
        *,
        default: HostPolicy,
        headers: Mapping[str, str] | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._policies = {host_key(k): v for k, v in policies.items()}
        self._default = default
        self._hosts: dict[str, _Host] = {}
        self._headers = {"User-Agent": user_agent, **(headers or {})}
        self._client: httpx.AsyncClient | None = None
        self.stats = FetchStats()

    async def __aenter__(self) -> HttpClient:
        # Redirects are followed by `_follow`: each hop under its own host's quota, and headers
        # given per request (an API key) never sent to another host.
        self._client = httpx.AsyncClient(headers=self._headers, follow_redirects=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        if key not in self._hosts:
            self._hosts[key] = _Host(self._policies.get(key, self._default))
        return self._hosts[key]

    async def fetch(
        self,
        method: str,
        url: str,
        parse: Callable[[httpx.Response], T],
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        ok_statuses: Collection[int] = (200,),
    ) -> T:
        """Send until `parse` accepts an answer with an ok status, or fail with FetchError."""

        def attempt_at(
            target: str, query: Mapping[str, Any] | None, extra: Mapping[str, str] | None
        ) -> Callable[[_Host], Awaitable[T]]:
            async def attempt(host: _Host) -> T:
                assert self._client is not None, "use `async with HttpClient(...)`"
                timeout = httpx.Timeout(host.policy.timeout_s, connect=CONNECT_TIMEOUT_S)
                response = await self._client.request(
                    method, target, params=query, headers=extra, data=data, files=files,
                    timeout=timeout,
                )  # fmt: skip
                self.stats.bytes += len(response.content)
                self._check_status(response, method, ok_statuses)
                try:
                    return parse(response)
                except (BadPayload, json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise _RetryableError("payload", f"unexpected body: {exc}") from exc

            return attempt

        return await self._follow(method, url, params, headers, attempt_at)

    async def get_json(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return await self.fetch("GET", url, _json, params=params, headers=headers)

    async def download(
        self,
        url: str,
        target: Path,
        *,
        headers: Mapping[str, str] | None = None,
        ok_statuses: Collection[int] = (200,),
        check: Callable[[Path], None] | None = None,
    ) -> httpx.Response:
        """Stream a body to `target` (tmp file, then rename); a 304, if allowed, writes nothing.
        `check(path)` may refuse the complete file with BadPayload (a maintenance page instead
        of a gzip, say): the download is then retried."""

        def attempt_at(
            url_: str, query: Mapping[str, Any] | None, extra: Mapping[str, str] | None
        ) -> Callable[[_Host], Awaitable[httpx.Response]]:
            async def attempt(host: _Host) -> httpx.Response:
                assert self._client is not None, "use `async with HttpClient(...)`"
                timeout = httpx.Timeout(host.policy.timeout_s, connect=CONNECT_TIMEOUT_S)
                partial = target.with_name(target.name + ".partial")
                stream = self._client.stream("GET", url_, params=query, headers=extra,
                                             timeout=timeout)  # fmt: skip
                async with stream as resp:
                    self._check_status(resp, "GET", ok_statuses)
                    if resp.status_code == 304:
                        return resp
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with partial.open("wb") as out:
                        async for chunk in resp.aiter_raw(DOWNLOAD_CHUNK):
                            out.write(chunk)
                            self.stats.bytes += len(chunk)
                if check is not None:
                    try:
                        await asyncio.to_thread(check, partial)
                    except BadPayload as exc:
                        partial.unlink(missing_ok=True)
                        raise _RetryableError("payload", f"unexpected body: {exc}") from exc
                partial.replace(target)
                return resp

            return attempt

        return await self._follow("GET", url, None, headers, attempt_at)

    async def _follow(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        attempt_at: Callable[
            [str, Mapping[str, Any] | None, Mapping[str, str] | None],
            Callable[[_Host], Awaitable[T]],
        ],
    ) -> T:
        """One request, its redirects followed by hand: each hop is sent (and retried) under its
        own host's quota, and headers given per request stay with the host they were meant for
        (httpx's own following only drops `Authorization`: an `x-apiKey` would travel)."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                return await self._with_retries(method, url, attempt_at(url, params, headers))
            except _RedirectError as moved:
                if host_key(moved.location) != host_key(url):
                    headers = None
                url, params = moved.location, None  # the Location carries its own query
        raise FetchError(
            f"{method} {url}: more than {MAX_REDIRECTS} redirects.",
            hint="Check the VOLT_*_API_URL settings: the source seems to redirect in a loop.",
        )

    def _check_status(
        self, response: httpx.Response, method: str, ok_statuses: Collection[int]
    ) -> None:
        status = response.status_code
        if status in ok_statuses:
            return
        if status in REDIRECT_STATUSES and "location" in response.headers:
            raise _RedirectError(urljoin(str(response.url), response.headers["location"]))
        if status in RETRY_STATUSES:
            if status == 429:
                self.stats.throttled += 1
            after = retry_after_seconds(response.headers.get("Retry-After"))
            raise _RetryableError(str(status), f"HTTP {status}", after)
        body = response.content[:300].decode("utf-8", "replace") if response.is_closed else ""
        said = body.strip() or response.reason_phrase
        raise FetchError(
            f"{method} {response.url} answered HTTP {status}: {said}",
            hint=_hint_for(status),
        )

    async def _with_retries(
        self, method: str, url: str, attempt: Callable[[_Host], Awaitable[T]]
    ) -> T:
        host = self._host(url)
        policy = host.policy

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            ceiling = min(
                policy.backoff_max_s, policy.backoff_base_s * 2 ** (state.attempt_number - 1)
            )
            backoff = random.uniform(0, ceiling)  # noqa: S311 - full jitter, not cryptography
            after = exc.after if isinstance(exc, _RetryableError) else None
            return max(after or 0.0, backoff)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.retries + 1),
            wait=wait,
            retry=retry_if_exception_type(_RetryableError),
            before_sleep=lambda state: self._count_retry(host, state),
            reraise=True,
        )
        try:
            async for round_ in retrying:
                with round_:
                    async with host.slots:
                        self.stats.waited_s += await host.wait_pause()
                        async with host.quota.slot() as waited:
                            # A 429 may have paused the host while this one waited its slot.
                            self.stats.waited_s += waited + await host.wait_pause()
                            self.stats.requests += 1
                            return await self._attempt(host, attempt)
        except _RetryableError as exc:
            raise FetchError(
                f"{method} {url} failed {policy.retries + 1} times; last: {exc.detail}.",
                hint="The source is down or throttling us: rerun later — completed pages are "
                "kept and the run resumes where it stopped.",
            ) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    @staticmethod
    async def _attempt(host: _Host, attempt: Callable[[_Host], Awaitable[T]]) -> T:
        try:
            return await attempt(host)
        except httpx.TimeoutException as exc:
            raise _RetryableError("timeout", f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _RetryableError("network", f"{type(exc).__name__}: {exc}") from exc
        except httpx.DecodingError as exc:  # a body its Content-Encoding does not describe
            raise _RetryableError("payload", f"undecodable body: {exc}") from exc
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            raise FetchError(
                f"Request failed: {type(exc).__name__}: {exc}",
                hint="Check the VOLT_*_API_URL settings and the registry's paths.",
            ) from exc

    def _count_retry(self, host: _Host, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if not isinstance(exc, _RetryableError):
            return
        self.stats.retries += 1
        self.stats.by_reason[exc.reason] += 1
        if state.next_action is not None:  # the backoff or Retry-After pause about to be slept
            self.stats.waited_s += state.next_action.sleep
        if exc.after is not None and exc.after > RETRY_AFTER_MAX_S:
            raise FetchError(
                f"The source asks to wait {exc.after:.0f} s before the next request.",
                hint="The quota is spent for now; rerun later (the run resumes where it stopped).",
            ) from exc
        if exc.reason == "429" and state.next_action is not None:
            # Every request to this host waits, not only the one that was told to (for its
            # Retry-After, or without one for the backoff this one sleeps).
            pause_end = time.monotonic() + state.next_action.sleep
            host.paused_until = max(host.paused_until, pause_end)


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(tz=UTC)).total_seconds())


def _json(response: httpx.Response) -> Any:
    return response.json()


def _hint_for(status: int) -> str:
    if status in (401, 403):
        return "The source refused access: check the API key setting (e.g. VOLT_ADEME_API_KEY)."
    if status == 404:
        return "The dataset or URL is unknown: check VOLT_*_API_URL and the registry's paths."
    return "The request was refused as sent; this is likely a volt bug — please report it."


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous code (the pipeline and the geocoder chain are sync)."""
    return asyncio.run(coro)
