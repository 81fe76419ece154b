"""The data routes' shared glue (volt/api/data.py): current load, ETag/304, cache-aside keyed by
data_version, CSV/Parquet exports — through a test-only route on the real app."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient

from tests.api.conftest import CLIENT_IP, GENEROUS_LIMITS, migrated_database, publish_load
from volt.api.data import CurrentLoadDep, DataRead, ExportFormat, FormatQuery, serve_data
from volt.api.deps import AppStateDep, ReadConn
from volt.api.security import ReaderOrAdmin
from volt.api.tokens import issue_token
from volt.app import create_app, v1_router
from volt.auth import users
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role
from volt.errors import NotFoundError

MANIFEST = {
    "entries": [
        {"source": "dpe", "vintage": "2026-11-02"},
        {"source": "dpe", "vintage": "2026-10-01"},
        {"source": "enedis", "vintage": "2026-06-30"},
    ]
}


class Row(DataRead):
    items: list[dict[str, Any]]


@pytest.fixture(scope="module")
def glue_settings(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    base = migrated_database(database_factory, tmp_path_factory.mktemp("glue"), "glue")
    return load_settings(**(base.model_dump() | {"rate_limits": GENEROUS_LIMITS}))


def publish(settings: Settings, version: str) -> None:
    publish_load(settings, version, MANIFEST)


@pytest.fixture
def world(glue_settings: Settings) -> Iterator[tuple[TestClient, dict[str, str], list[int]]]:
    calls: list[int] = []
    router = APIRouter()

    @router.get("/glue")
    async def glue(
        request: Request,
        principal: ReaderOrAdmin,
        state: AppStateDep,
        load: CurrentLoadDep,
        format: FormatQuery = ExportFormat.JSON,
    ) -> Response:
        async def produce() -> Row:
            calls.append(1)
            return Row(
                data_version=load.data_version,
                sources=load.sources,
                items=[{"code": "06029", "n": 12, "nested": {"a": 1.5}}, {"code": "2A004"}],
            )

        return await serve_data(request, state, load, produce, name="glue", fmt=format)

    app = create_app(glue_settings)
    app.include_router(v1_router(router))
    with connect(glue_settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, glue_settings, f"glue-{len(calls)}-{id(router)}@example.org")
    token = issue_token(glue_settings, user.id, Role.READER).access_token
    with connect(glue_settings, DbRole.OWNER) as conn:
        conn.execute("DELETE FROM data_loads")
    with TestClient(app, client=(CLIENT_IP, 50000)) as client:
        yield client, {"Authorization": f"Bearer {token}"}, calls


def app_of(client: TestClient) -> FastAPI:
    assert isinstance(client.app, FastAPI)
    return client.app


def test_no_load_is_a_503(world: tuple[TestClient, dict[str, str], list[int]]) -> None:
    client, auth, calls = world
    response = client.get("/v1/glue", headers=auth)
    assert (response.status_code, response.json()["detail"]) == (
        503,
        "No data load is published yet.",
    )
    assert calls == []


def test_json_carries_the_load_etag_and_is_cached_aside(
    world: tuple[TestClient, dict[str, str], list[int]], glue_settings: Settings
) -> None:
    client, auth, calls = world
    publish(glue_settings, "v1")
    first = client.get("/v1/glue?x=1", headers=auth)
    assert first.status_code == 200
    assert first.json() == {
        "data_version": "v1",
        "sources": {"dpe": "2026-11-02", "enedis": "2026-06-30"},
        "items": [{"code": "06029", "n": 12, "nested": {"a": 1.5}}, {"code": "2A004"}],
    }
    assert first.headers["cache-control"] == "private, max-age=300"
    assert first.headers["etag"].startswith('W/"')
    second = client.get("/v1/glue?x=1", headers=auth)
    assert (second.content, len(calls)) == (first.content, 1)  # served from the cache
    assert client.get("/v1/glue?x=2", headers=auth).headers["etag"] != first.headers["etag"]


def test_if_none_match_is_a_304_without_any_query(
    world: tuple[TestClient, dict[str, str], list[int]], glue_settings: Settings
) -> None:
    client, auth, calls = world
    publish(glue_settings, "v1")
    etag = client.get("/v1/glue", headers=auth).headers["etag"]
    again = client.get("/v1/glue", headers=auth | {"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"], len(calls)) == (
        304,
        b"",
        etag,
        1,
    )


def test_a_new_load_changes_the_etag_and_misses_the_cache(
    world: tuple[TestClient, dict[str, str], list[int]], glue_settings: Settings
) -> None:
    client, auth, calls = world
    publish(glue_settings, "v1")
    old = client.get("/v1/glue", headers=auth)
    publish(glue_settings, "v2")
    app_of(client).state.volt.memo.clear()  # else the load is re-read within 2 s
    new = client.get("/v1/glue", headers=auth | {"If-None-Match": old.headers["etag"]})
    assert (new.status_code, new.json()["data_version"], len(calls)) == (200, "v2", 2)
    assert new.headers["etag"] != old.headers["etag"]


def test_csv_export_streams_the_items_flattened(
    world: tuple[TestClient, dict[str, str], list[int]], glue_settings: Settings
) -> None:
    client, auth, _ = world
    publish(glue_settings, "v1abcdefghijklmnop")
    response = client.get("/v1/glue?format=csv", headers=auth)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="glue-v1abcdefghij.csv"'
    )
    assert response.text == "code,n,nested.a\n06029,12,1.5\n2A004,,\n"


def test_parquet_export_keeps_codes_as_text(
    world: tuple[TestClient, dict[str, str], list[int]], glue_settings: Settings, tmp_path: Path
) -> None:
    client, auth, _ = world
    publish(glue_settings, "v1")
    response = client.get("/v1/glue?format=parquet", headers=auth)
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.content))
    assert table.to_pylist() == [
        {"code": "06029", "n": 12, "nested.a": 1.5},
        {"code": "2A004", "n": None, "nested.a": None},
    ]


def test_an_unknown_format_is_a_422(
    world: tuple[TestClient, dict[str, str], list[int]], glue_settings: Settings
) -> None:
    client, auth, _ = world
    publish(glue_settings, "v1")
    response = client.get("/v1/glue?format=xlsx", headers=auth)
    assert response.status_code == 422


def test_cached_answers_and_304s_take_no_database_connection(
    world: tuple[TestClient, dict[str, str], list[int]], glue_settings: Settings
) -> None:
    client, auth, _ = world
    publish(glue_settings, "v1")
    first = client.get("/v1/glue?lazy=1", headers=auth)  # fills the load memo and the cache
    pool = app_of(client).state.volt.reader_pool
    before = pool.get_stats()["requests_num"]
    assert client.get("/v1/glue?lazy=1", headers=auth).status_code == 200
    etag = {"If-None-Match": first.headers["etag"]}
    assert client.get("/v1/glue?lazy=1", headers=auth | etag).status_code == 304
    assert pool.get_stats()["requests_num"] == before


@pytest.fixture
def slow_world(glue_settings: Settings) -> Iterator[tuple[TestClient, dict[str, str], list[str]]]:
    """A route whose queries take 0.3 s (and fail for `?missing=1`): concurrent misses."""
    runs: list[str] = []
    router = APIRouter()

    @router.get("/slow")
    async def slow(
        request: Request, principal: ReaderOrAdmin, state: AppStateDep, load: CurrentLoadDep
    ) -> Response:
        async def produce() -> Row:
            runs.append(request.url.query)
            await asyncio.sleep(0.3)
            if "missing" in request.query_params:
                raise NotFoundError("No such thing.")
            return Row(data_version=load.data_version, sources=load.sources, items=[])

        return await serve_data(request, state, load, produce, name="slow")

    app = create_app(glue_settings)
    app.include_router(v1_router(router))
    with connect(glue_settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, glue_settings, f"slow-{id(router)}@example.org")
    token = issue_token(glue_settings, user.id, Role.READER).access_token
    with connect(glue_settings, DbRole.OWNER) as conn:
        conn.execute("DELETE FROM data_loads")
    publish(glue_settings, "v1")
    with TestClient(app, client=(CLIENT_IP, 50000)) as client:
        yield client, {"Authorization": f"Bearer {token}"}, runs


@pytest.mark.parametrize(("query", "status"), [("x=1", 200), ("missing=1", 404)])
def test_concurrent_identical_misses_run_the_queries_once(
    slow_world: tuple[TestClient, dict[str, str], list[str]], query: str, status: int
) -> None:
    client, auth, runs = slow_world
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: client.get(f"/v1/slow?{query}", headers=auth), range(6)))
    assert [a.status_code for a in answers] == [status] * 6
    assert len({a.content for a in answers}) == 1
    assert runs == [query]
    if status == 404:  # an error is not cached: the next request asks again
        assert client.get(f"/v1/slow?{query}", headers=auth).status_code == 404
        assert runs == [query, query]


@pytest.fixture
def conn_world(
    glue_settings: Settings,
) -> Iterator[tuple[TestClient, dict[str, str], list[str]]]:
    """A route that reads in a transaction, then answers, fails as expected, or crashes."""
    seen: list[str] = []
    router = APIRouter()

    @router.get("/reads")
    async def reads(request: Request, principal: ReaderOrAdmin, conn: ReadConn) -> Response:
        row = await (await conn.execute("SELECT txid_current_if_assigned() IS NULL")).fetchone()
        lazy: Any = conn  # volt.api.lazyconn.LazyConnection: the pooled connection behind it
        status = (await lazy.connection()).info.transaction_status
        seen.append(f"{row[0] if row else None}:{status.name}")
        if "missing" in request.query_params:
            raise NotFoundError("No such thing.")
        if "crash" in request.query_params:
            raise RuntimeError("a bug")
        return Response(b"{}", media_type="application/json")

    app = create_app(glue_settings)
    app.include_router(v1_router(router))
    with connect(glue_settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, glue_settings, f"reads-{id(router)}@example.org")
    token = issue_token(glue_settings, user.id, Role.READER).access_token
    with TestClient(app, client=(CLIENT_IP, 50000), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {token}"}, seen


@pytest.mark.parametrize(("query", "status"), [("", 200), ("missing=1", 404), ("crash=1", 500)])
def test_a_read_transaction_ends_with_the_response_and_its_connection_goes_back(
    conn_world: tuple[TestClient, dict[str, str], list[str]], query: str, status: int
) -> None:
    client, auth, seen = conn_world
    pool = app_of(client).state.volt.reader_pool
    for _ in range(3):  # more requests than a leaked connection would allow to pass unnoticed
        assert client.get(f"/v1/reads?{query}", headers=auth).status_code == status
        stats = pool.get_stats()
        assert stats["pool_available"] == stats["pool_size"]  # every connection is back
    assert seen == ["True:INTRANS"] * 3  # queries ran inside a (read-only) transaction

    async def idle() -> list[str]:
        async with pool.connection() as conn:
            return [conn.info.transaction_status.name]

    assert client.portal is not None
    assert client.portal.call(idle) == ["IDLE"]  # the connection's transaction was ended
