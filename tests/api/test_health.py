"""Probes: /health answers while the process lives; /ready needs the database, the cache and a
published data load, and says which one is missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import GENEROUS_LIMITS, open_client
from volt import __version__
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole

BOTH_CACHE_BACKENDS = True  # tests taking `settings` run on memory and on a real Redis
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def published_load(api_pg_settings: Settings) -> Iterator[str]:
    """A current row in data_loads, as a load would leave it (removed afterwards)."""
    version = "v-ready-test"
    with connect(api_pg_settings, DbRole.OWNER) as conn:
        conn.execute(
            "INSERT INTO data_loads (data_version, run_id, is_current) VALUES (%s, 'r', true)",
            (version,),
        )
    yield version
    with connect(api_pg_settings, DbRole.OWNER) as conn:
        conn.execute("DELETE FROM data_loads WHERE data_version = %s", (version,))


def settings_with(base: Settings, **overrides: object) -> Settings:
    values = base.model_dump() | {"redis_url": None, "rate_limits": GENEROUS_LIMITS}
    return load_settings(**(values | overrides))


def problem(detail: str) -> dict[str, object]:
    return {
        "type": "https://volt.example/problems/service-unavailable",
        "title": "Service unavailable",
        "status": 503,
        "detail": detail,
    }


def test_health_answers_with_the_version(settings: Settings) -> None:
    with open_client(settings) as client:
        response = client.get("/health")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "version": __version__},
    )
    assert "ratelimit-limit" not in response.headers  # probes are never rate limited


def test_ready_says_no_data_load_is_published(settings: Settings) -> None:
    with open_client(settings) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == problem(
        "Not ready: no data load is published yet (run `volt etl run`)."
    )


def test_ready_once_a_load_is_published(
    settings: Settings, published_load: str, cache_backend: dict[str, object]
) -> None:
    with open_client(settings) as client:
        response = client.get("/ready")
    backend = "memory" if cache_backend["redis_url"] is None else "redis"
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ready", "database": "ok", "cache": backend, "data_version": published_load},
    )


def test_ready_names_an_unreachable_cache(api_pg_settings: Settings, published_load: str) -> None:
    with open_client(settings_with(api_pg_settings, redis_url=CLOSED_PORT_REDIS)) as client:
        response = client.get("/ready")
        health = client.get("/health")
    assert (response.status_code, response.json()) == (
        503,
        problem("Not ready: the redis cache is unreachable."),
    )
    assert health.status_code == 200  # the process itself is fine


def test_ready_names_an_unreachable_database_and_the_app_still_starts(
    api_pg_settings: Settings,
) -> None:
    down = settings_with(api_pg_settings, database_url="postgresql://volt@127.0.0.1:1/volt")
    with open_client(down) as client:
        response = client.get("/ready")
    assert (response.status_code, response.json()) == (
        503,
        problem("Not ready: the database is unreachable."),
    )
