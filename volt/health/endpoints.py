"""`GET /health` (the process answers) and `GET /ready` (database, cache and a data load)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from pydantic import BaseModel, Field

from volt import __version__
from volt.api.deps import AppStateDep
from volt.api.problems import problem_responses
from volt.errors import ServiceUnavailableError
from volt.health import queries

log = logging.getLogger("volt.health")
router = APIRouter(tags=["health"])

READY_TIMEOUT_S = 3.0  # a probe must answer fast; a backend slower than this is "down"


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str = Field(examples=[__version__])


class Ready(BaseModel):
    status: str = Field(examples=["ready"])
    database: str = Field(examples=["ok"])
    cache: str = Field(examples=["redis"])
    data_version: str = Field(description="The load the API serves.", examples=["3f9c…"])


@router.get("/health", summary="Liveness: the process answers")
async def get_health() -> Health:
    return Health(status="ok", version=__version__)


@router.get(
    "/ready",
    summary="Readiness: database and cache reachable, a data load published",
    responses=problem_responses(503),
)
async def get_ready(state: AppStateDep) -> Ready:
    failures: list[str] = []
    data_version = ""
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            async with state.reader_pool.connection() as conn:
                row = await (await conn.execute(queries.CURRENT_LOAD_SQL)).fetchone()
        if row is None:
            failures.append("no data load is published yet (run `volt etl run`)")
        else:
            data_version = str(row[0])
    except Exception as exc:  # any failure of the probe means "not ready"
        log.warning("health.ready.database_failed %s", type(exc).__name__)
        failures.append("the database is unreachable")
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            await state.cache.ping()
    except Exception as exc:
        log.warning("health.ready.cache_failed %s", type(exc).__name__)
        failures.append(f"the {state.cache.name} cache is unreachable")
    if failures:
        raise ServiceUnavailableError("Not ready: " + "; ".join(failures) + ".")
    return Ready(status="ready", database="ok", cache=state.cache.name, data_version=data_version)
