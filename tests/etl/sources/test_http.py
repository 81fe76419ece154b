"""The HTTP layer against the real local replay server: retries, Retry-After, quotas, budget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.etl.sources.replay_worlds import make_real_world
from volt.etl.sources.api.http import (
    BadPayload,
    FetchError,
    HostPolicy,
    HttpClient,
    retry_after_seconds,
    run_sync,
)
from volt.etl.sources.replay import ReplayServer, World

DATASET = "/data-fair/api/v1/datasets/dpe03existant"
# Quick retries: the behaviour is the same with the production backoff, only slower.
FAST = HostPolicy(requests=1000, per_seconds=1.0, timeout_s=2.0, retries=3, backoff_base_s=0.01)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World.load(make_real_world(tmp_path_factory.mktemp("world")))


@pytest.fixture
def server(world: World) -> Iterator[ReplayServer]:
    with ReplayServer(world) as running:
        yield running


def fetch_json(
    server: ReplayServer, policy: HostPolicy = FAST, n: int = 1
) -> tuple[list[Any], HttpClient]:
    client = HttpClient({server.url: policy}, default=policy)

    async def go() -> list[Any]:
        async with client:
            return list(
                await asyncio.gather(*(client.get_json(server.url + DATASET) for _ in range(n)))
            )

    return run_sync(go()), client


def test_a_503_is_retried_and_counted(server: ReplayServer) -> None:
    server.faults.add(DATASET, "status", status=503, times=2)
    (answer,), client = fetch_json(server)
    assert answer["id"] == "dpe03existant"
    assert (client.stats.requests, client.stats.retries) == (3, 2)
    assert dict(client.stats.by_reason) == {"503": 2}


@pytest.mark.parametrize("status", [500, 502, 504])
def test_gateway_errors_are_retried(server: ReplayServer, status: int) -> None:
    server.faults.add(DATASET, "status", status=status)
    (answer,), client = fetch_json(server)
    assert answer["id"] == "dpe03existant"
    assert dict(client.stats.by_reason) == {str(status): 1}


def test_a_429_waits_its_retry_after_and_pauses_the_host(server: ReplayServer) -> None:
    server.faults.add(DATASET, "status", status=429, retry_after=1)
    started = time.monotonic()
    answers, client = fetch_json(server, HostPolicy(1000, 1.0, concurrency=1, retries=3), n=3)
    assert len(answers) == 3
    assert time.monotonic() - started >= 1.0
    assert client.stats.throttled == 1
    times = [e.t for e in server.log.entries(DATASET)]
    # The two other requests (queued behind the one told to wait) started after the pause too.
    assert len(times) == 4 and times[1] - times[0] >= 0.99 and times[3] - times[0] >= 0.99


def test_retry_after_as_an_http_date() -> None:
    when = datetime.now(tz=UTC) + timedelta(seconds=30)
    seconds = retry_after_seconds(format_datetime(when, usegmt=True))
    assert seconds is not None and 28 <= seconds <= 30
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("soon") is None


def test_a_retry_after_beyond_the_patience_stops_with_a_clear_error(server: ReplayServer) -> None:
    server.faults.add(DATASET, "status", status=429, retry_after=3600)
    with pytest.raises(FetchError, match="asks to wait 3600 s"):
        fetch_json(server)
    assert server.log.count(DATASET) == 1


def test_a_timeout_is_retried(server: ReplayServer) -> None:
    server.faults.add(DATASET, "delay", seconds=1.0)
    policy = HostPolicy(1000, 1.0, timeout_s=0.3, retries=2, backoff_base_s=0.01)
    (answer,), client = fetch_json(server, policy)
    assert answer["id"] == "dpe03existant"
    assert dict(client.stats.by_reason) == {"timeout": 1}


def test_a_truncated_body_is_retried(server: ReplayServer) -> None:
    server.faults.add(DATASET, "truncate")
    (answer,), client = fetch_json(server)
    assert answer["id"] == "dpe03existant"
    assert dict(client.stats.by_reason) == {"network": 1}


def test_a_connection_reset_mid_body_is_retried(server: ReplayServer) -> None:
    server.faults.add(DATASET, "reset")
    (answer,), client = fetch_json(server)
    assert answer["id"] == "dpe03existant"
    assert dict(client.stats.by_reason) == {"network": 1}


def test_a_body_the_parser_refuses_is_retried(server: ReplayServer) -> None:
    calls: list[int] = []

    def parse(response: httpx.Response) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise BadPayload("no results key")
        body: dict[str, Any] = response.json()
        return body

    async def go() -> dict[str, Any]:
        async with HttpClient({}, default=FAST) as client:
            answer = await client.fetch("GET", server.url + DATASET, parse)
            assert dict(client.stats.by_reason) == {"payload": 1}
            return answer

    assert run_sync(go())["id"] == "dpe03existant"


def test_the_retry_budget_ends_in_a_clear_error(server: ReplayServer) -> None:
    server.faults.add(DATASET, "status", status=503, times=None)
    with pytest.raises(FetchError, match="failed 4 times; last: HTTP 503") as caught:
        fetch_json(server)
    assert "resumes where it stopped" in str(caught.value)
    assert server.log.count(DATASET) == 4


def test_a_client_error_is_not_retried(server: ReplayServer) -> None:
    with pytest.raises(FetchError, match="HTTP 400") as caught:
        run_sync(_get(server.url + DATASET + "/lines?size=20000"))
    assert "likely a volt bug" in str(caught.value)
    assert server.log.count(DATASET + "/lines") == 1


async def _get(url: str) -> Any:
    async with HttpClient({}, default=FAST) as client:
        return await client.get_json(url)


def test_the_per_host_quota_holds_at_the_server(server: ReplayServer) -> None:
    """5 requests per 0.5 s: 16 concurrent requests take ≥ 1.5 s and no 0.5 s window has 6."""
    quota = HostPolicy(requests=5, per_seconds=0.5, concurrency=8, retries=0)
    started = time.monotonic()
    answers, client = fetch_json(server, quota, n=16)
    assert len(answers) == 16
    assert time.monotonic() - started >= 1.5
    assert server.log.max_in_window(0.5, DATASET) == 5
    assert client.stats.waited_s > 0


def test_without_the_quota_the_same_burst_exceeds_it(server: ReplayServer) -> None:
    """The measurement can fail: unthrottled, the burst puts more than 5 in a 0.5 s window."""
    fetch_json(server, HostPolicy(requests=1000, per_seconds=0.5, concurrency=8), n=16)
    assert server.log.max_in_window(0.5, DATASET) > 5


def test_two_hosts_have_their_own_quota(world: World) -> None:
    with ReplayServer(world) as one, ReplayServer(world) as two:
        slow = HostPolicy(requests=2, per_seconds=10.0)
        client = HttpClient({one.url: slow}, default=FAST)

        async def go() -> None:
            async with client:
                await asyncio.gather(
                    client.get_json(one.url + DATASET),
                    client.get_json(one.url + DATASET),
                    *(client.get_json(two.url + DATASET) for _ in range(10)),
                )

        started = time.monotonic()
        run_sync(go())
        assert time.monotonic() - started < 2  # the strict quota of `one` did not slow `two`
        assert one.log.count(DATASET) == 2 and two.log.count(DATASET) == 10


def test_download_writes_the_body_whole_or_not_at_all(server: ReplayServer, tmp_path: Path) -> None:
    target = tmp_path / "meta.json"
    server.faults.add(DATASET, "truncate")

    async def go() -> httpx.Response:
        async with HttpClient({}, default=FAST) as client:
            return await client.download(server.url + DATASET, target)

    response = run_sync(go())
    assert response.status_code == 200
    assert target.read_bytes().startswith(b"{") and b"dpe03existant" in target.read_bytes()
    assert not list(tmp_path.glob("*.partial"))


def test_a_redirect_to_another_host_does_not_carry_the_api_key(world: World) -> None:
    with ReplayServer(world) as first, ReplayServer(world) as other:
        first.faults.add(DATASET + "$", "status", status=302, location=other.url + DATASET)
        first.faults.add("/moved", "status", status=307, location=DATASET)
        key = {"x-apiKey": "SECRET"}

        async def go() -> list[Any]:
            async with HttpClient({}, default=FAST) as client:
                return [
                    await client.get_json(first.url + DATASET, headers=key),
                    await client.get_json(first.url + "/moved", headers=key),
                ]

        answers = run_sync(go())
        assert [a["id"] for a in answers] == ["dpe03existant", "dpe03existant"]
        (elsewhere,) = other.log.entries(DATASET)
        assert "x-apikey" not in elsewhere.headers  # the key stayed with its host
        same_host = first.log.entries()
        assert [e.status for e in same_host] == [302, 307, 200]
        assert all(e.headers.get("x-apikey") == "SECRET" for e in same_host)


def test_a_429_also_holds_the_requests_already_waiting_for_a_slot(server: ReplayServer) -> None:
    server.faults.add(DATASET, "status", status=429, retry_after=2)
    quota = HostPolicy(requests=2, per_seconds=0.5, concurrency=4, retries=2)
    answers, _ = fetch_json(server, quota, n=4)
    assert len(answers) == 4
    times = [e.t for e in server.log.entries(DATASET)]
    throttled_at = times[0]
    # The one in flight with the throttled request was already sent; every later one waited.
    assert len(times) == 5 and all(t - throttled_at >= 1.95 for t in times[2:]), times
