"""Cached data answers served before routing (volt/api/fastpath.py): the same answer, the same
checks (token, revocation, account, rate limit) — and the application whenever one does not hold.

A test-only data route counts how often its handler runs: the fast path never runs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from tests.api.conftest import CLIENT_IP, GENEROUS_LIMITS, migrated_database
from volt.api.data import (
    LOAD_STALE_S,
    LOAD_TTL_S,
    CurrentLoadDep,
    DataRead,
    ExportFormat,
    FormatQuery,
    serve_data,
)
from volt.api.deps import AppStateDep
from volt.api.fastpath import _eligible
from volt.api.security import CHECKED_KEY, ReaderOrAdmin, UserStatus
from volt.api.tokens import decode_token, issue_token, revoke
from volt.app import create_app, v1_router
from volt.auth import users
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role


class Answer(DataRead):
    items: list[dict[str, Any]]


@dataclass
class World:
    client: TestClient
    settings: Settings
    email: str
    token: str
    handler_runs: list[int]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def app(self) -> FastAPI:
        assert isinstance(self.client.app, FastAPI)
        return self.client.app


@pytest.fixture(scope="module")
def fast_settings(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    base = migrated_database(database_factory, tmp_path_factory.mktemp("fast"), "fastpath")
    with connect(base, DbRole.OWNER) as conn:
        conn.execute(
            "INSERT INTO data_loads (data_version, run_id, manifest, is_current) "
            "VALUES ('v1', 'r', %s, true)",
            (Jsonb({"entries": [{"source": "dpe", "vintage": "2026-11-02"}]}),),
        )
    return load_settings(**(base.model_dump() | {"rate_limits": GENEROUS_LIMITS}))


def make_world(settings: Settings, name: str) -> Iterator[World]:
    runs: list[int] = []
    router = APIRouter()

    @router.get("/fast")
    async def fast(
        request: Request,
        principal: ReaderOrAdmin,
        state: AppStateDep,
        load: CurrentLoadDep,
        format: FormatQuery = ExportFormat.JSON,
    ) -> Response:
        runs.append(1)

        async def produce() -> Answer:
            return Answer(data_version=load.data_version, sources=load.sources, items=[{"n": 1}])

        return await serve_data(request, state, load, produce, name="fast", fmt=format)

    app = create_app(settings)
    app.include_router(v1_router(router))
    email = f"{name}-{id(router)}@example.org"
    with connect(settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, settings, email)
    token = issue_token(settings, user.id, Role.READER).access_token
    with TestClient(app, client=(CLIENT_IP, 50000)) as client:
        yield World(client, settings, email, token, runs)


@pytest.fixture
def world(fast_settings: Settings) -> Iterator[World]:
    yield from make_world(fast_settings, "fast")


def test_a_repeated_answer_comes_from_the_cache_unchanged_without_the_route(world: World) -> None:
    first = world.client.get("/v1/fast?b=2&a=1", headers=world.auth)
    second = world.client.get("/v1/fast?a=1&b=2", headers=world.auth)  # same query, reordered
    assert (first.status_code, second.status_code, len(world.handler_runs)) == (200, 200, 1)
    assert second.content == first.content
    for header in ("etag", "cache-control", "vary", "content-type", "content-length"):
        assert second.headers[header] == first.headers[header], header


def test_if_none_match_is_a_304_from_the_cache_layer(world: World) -> None:
    etag = world.client.get("/v1/fast?x=304", headers=world.auth).headers["etag"]
    again = world.client.get("/v1/fast?x=304", headers=world.auth | {"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert again.headers["cache-control"] == "private, max-age=300"
    assert len(world.handler_runs) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic dXNlcjpwdw=="}],
    ids=["none", "invalid", "basic"],
)
def test_without_a_valid_token_the_application_answers_401(
    world: World, headers: dict[str, str]
) -> None:
    world.client.get("/v1/fast?x=anon", headers=world.auth)  # cached
    response = world.client.get("/v1/fast?x=anon", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_revoked_token_is_refused_even_with_a_cached_answer(world: World) -> None:
    world.client.get("/v1/fast?x=rev", headers=world.auth)
    state = world.app.state.volt
    asyncio.run(revoke(state.cache, world.settings, decode_token(world.settings, world.token)))
    response = world.client.get("/v1/fast?x=rev", headers=world.auth)
    assert (response.status_code, response.json()["detail"]) == (
        401,
        "The token has been revoked.",
    )


def test_a_disabled_account_is_refused_once_its_status_is_re_read(world: World) -> None:
    world.client.get("/v1/fast?x=off", headers=world.auth)
    with connect(world.settings, DbRole.WRITER) as conn:
        users.set_active(conn, world.settings, world.email, active=False)
    world.app.state.volt.cache._values.clear()  # the status cache (60 s) and the answers
    assert world.client.get("/v1/fast?x=off", headers=world.auth).status_code == 401
    # Its inactive status is cached now: the cache layer must not serve the cached answer.
    assert world.client.get("/v1/fast?x=off", headers=world.auth).status_code == 401


def test_a_stale_load_memo_goes_through_the_application(world: World) -> None:
    world.client.get("/v1/fast?x=memo", headers=world.auth)
    world.app.state.volt.memo.clear()
    assert world.client.get("/v1/fast?x=memo", headers=world.auth).status_code == 200
    assert len(world.handler_runs) == 2  # the route re-read the load (then the cache answered)


def test_exports_are_never_answered_from_the_json_cache(world: World) -> None:
    world.client.get("/v1/fast?x=exp", headers=world.auth)
    csv = world.client.get("/v1/fast?x=exp&format=csv", headers=world.auth)
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert len(world.handler_runs) == 2


def test_the_rate_limit_counts_each_cached_hit_once(fast_settings: Settings) -> None:
    tight = load_settings(
        **(fast_settings.model_dump() | {"rate_limits": GENEROUS_LIMITS | {"default": "3/minute"}})
    )
    for world in make_world(tight, "limit"):
        answers = [world.client.get("/v1/fast?x=rl", headers=world.auth) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert answers[3].headers["content-type"] == "application/problem+json"
        assert "retry-after" in answers[3].headers
        assert len(world.handler_runs) == 1  # answers 2 and 3 came from the cache layer


@pytest.mark.parametrize(
    ("method", "path", "eligible"),
    [
        ("GET", "/v1/stats/commune", True),
        ("HEAD", "/v1/stats/commune", False),
        ("POST", "/v1/stats/commune", False),
        ("GET", "/v1/admin/audit", False),
        ("GET", "/v1/auth/me", False),
        ("GET", "/v1/map/areas.geojson", False),
        ("GET", "/health", False),
    ],
)
def test_only_data_gets_are_eligible(method: str, path: str, eligible: bool) -> None:
    assert _eligible({"type": "http", "method": method, "path": path}) is eligible


def test_the_route_reuses_the_layers_check_only_for_the_same_token(world: World) -> None:
    """A miss: the layer leaves its check for the route. A check left for another token (here
    forged into the request's state by an outer layer) is ignored: the route checks its own."""
    state = world.app.state.volt
    principal = decode_token(world.settings, world.token)
    status = UserStatus(is_active=True, role=Role.READER)
    forged = {"scope": None}

    async def forge(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("state", {})[CHECKED_KEY] = ("another-token", principal, status)
        forged["scope"] = scope
        await inner(scope, receive, send)

    inner = world.app.middleware_stack or world.app.build_middleware_stack()
    world.app.middleware_stack = forge  # type: ignore[assignment]
    try:
        refused = world.client.get("/v1/fast?x=forged", headers={"Authorization": "Bearer x"})
        assert refused.status_code == 401
        world.client.get("/v1/fast?x=warm", headers=world.auth)  # the account status, cached
        ok = world.client.get("/v1/fast?x=handoff", headers=world.auth)
        assert ok.status_code == 200
        # The layer checked the token, found no answer, and left its check for the route.
        checked = forged["scope"]["state"][CHECKED_KEY]  # type: ignore[index]
        assert checked[0] == world.token and checked[1] == principal
    finally:
        world.app.middleware_stack = inner
    assert state is world.app.state.volt


def test_an_expired_load_memo_is_served_while_one_task_re_reads_it(world: World) -> None:
    world.client.get("/v1/fast?x=swr", headers=world.auth)
    memo = world.app.state.volt.memo
    stamp, load = memo["current_load"]
    memo["current_load"] = (stamp - LOAD_TTL_S - 1, load)  # expired, not yet too old
    answer = world.client.get("/v1/fast?x=swr", headers=world.auth)
    assert (answer.status_code, len(world.handler_runs)) == (200, 1)  # from the cache layer
    refresh = memo["current_load_refresh"]
    world.client.portal.call(asyncio.wait_for, refresh, 5)  # type: ignore[union-attr]
    assert memo["current_load"][0] > stamp  # re-read in the background
    memo["current_load"] = (stamp - LOAD_STALE_S - 1, load)  # too old: the routes read it
    assert world.client.get("/v1/fast?x=swr", headers=world.auth).status_code == 200
    assert len(world.handler_runs) == 2
