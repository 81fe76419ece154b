"""`create_app(settings)`: the FastAPI application. Nothing connects at import or at creation;
the lifespan opens the database pools, the cache and the mailer, and closes them on shutdown.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from volt import __version__
from volt.admin import endpoints as admin
from volt.api.fastpath import CachedAnswerMiddleware
from volt.api.lazyconn import ReadConnectionsMiddleware
from volt.api.problems import install_error_handlers, problem_responses
from volt.api.ratelimit import RateLimiter, RateLimitHeadersMiddleware, rate_limited, zone_policies
from volt.api.state import AppState
from volt.auth import endpoints as auth
from volt.buildings import endpoints as buildings
from volt.cache.factory import create_cache
from volt.config import Settings, load_settings
from volt.db.connect import open_async_pool
from volt.db.dsn import DbRole
from volt.health import endpoints as health
from volt.mail.factory import create_mailer
from volt.maps import endpoints as maps
from volt.places import endpoints as places
from volt.stats import distribution_endpoints as distribution
from volt.stats import endpoints as stats

log = logging.getLogger("volt.app")

DESCRIPTION = """
Aggregated, anonymised statistics on French housing energy: ADEME energy diagnostics (DPE),
Enedis metered electricity and the national address base (BAN), joined per address and
published per street, IRIS, commune, EPCI, département, région and France.

**Access.** Request a one-time code by e-mail (`POST /v1/auth/code`), exchange it for a bearer
token (`POST /v1/auth/token`, or Swagger's *Authorize* button: username = e-mail, password = code).
Reader tokens live 30 minutes, admin tokens 60.

**Errors** are `application/problem+json` (RFC 9457). **Rate limits** answer 429 with
`Retry-After` and `RateLimit-*` headers.
"""

OPENAPI_TAGS = [
    {"name": "auth", "description": "Log in with an e-mailed one-time code; tokens."},
    {"name": "admin", "description": "Administration (admin role): audit log."},
    {"name": "health", "description": "Liveness and readiness probes (public)."},
    {"name": "stats", "description": "Aggregated statistics per area, with suppression."},
    {"name": "places", "description": "Search communes, streets and addresses; communes."},
    {"name": "buildings", "description": "Figures per address where Enedis publishes them."},
    {"name": "maps", "description": "GeoJSON layers: building points, area centroids."},
]

# Pool sizes per process: data reads are short (statement timeout), auth writes rarer.
READER_POOL_MAX = 10
# The collector of a serving process. By default a young collection runs every 700 net container
# allocations, i.e. every few requests, and as the long-lived heap grows (suppression memo,
# memory cache) the older generations' scans stall the event loop. Measured with
# benchmarks/bench_data_api.py (uncached, 1 worker, 1 M DPE): commune stats 1,090 → 1,450 req/s,
# p99 196 → 69 ms; building search 514 → 740 req/s. Cycles are still collected, less often.
GC_THRESHOLDS = (50_000, 20, 100)
WRITER_POOL_MAX = 4


def create_app(settings: Settings) -> FastAPI:
    zone_policies(settings)  # a bad VOLT_RATE_LIMITS fails here, before anything opens

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reader = open_async_pool(settings, DbRole.READER, max_size=READER_POOL_MAX)
        writer = open_async_pool(settings, DbRole.WRITER, max_size=WRITER_POOL_MAX)
        # wait=False: the service starts even if PostgreSQL is down (then /ready says so and
        # data routes answer 503) instead of crash-looping.
        await reader.open(wait=False)
        await writer.open(wait=False)
        cache = create_cache(settings)
        app.state.volt = AppState(
            settings=settings,
            reader_pool=reader,
            writer_pool=writer,
            cache=cache,
            mailer=create_mailer(settings),
            limiter=RateLimiter(settings, cache),
        )
        log.info("app.started cache=%s mailer=%s", cache.name, settings.mailer)
        try:
            yield
        finally:
            await cache.close()
            await writer.close()
            await reader.close()

    app = FastAPI(
        title="volt",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
        swagger_ui_parameters={"persistAuthorization": True},
    )
    install_error_handlers(app)
    # Innermost of ours: read transactions end once the response is complete.
    app.add_middleware(ReadConnectionsMiddleware)
    # Added before it, so inside the rate-limit headers layer (which then reports its hits too).
    app.add_middleware(CachedAnswerMiddleware)
    app.add_middleware(RateLimitHeadersMiddleware)
    app.include_router(health.router)  # probes: outside /v1, never rate limited
    app.include_router(
        v1_router(
            auth.router,
            admin.router,
            places.router,
            buildings.router,
            maps.router,
            stats.router,
            distribution.router,
        )
    )
    return app


def v1_router(*features: APIRouter) -> APIRouter:
    """`/v1`: every feature router, behind the `default` rate limit (per client IP)."""
    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(rate_limited("default"))],
        responses=problem_responses(429),
    )
    for router in features:
        v1.include_router(router)
    return v1


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (what `volt serve` runs in each worker)."""
    app = create_app(load_settings())
    tune_collector()
    return app


def tune_collector() -> None:
    """For a long-running serving process only (not for tests, which build many apps)."""
    gc.collect()
    gc.freeze()  # the startup heap (modules, the app, registries) is never garbage: skip it
    gc.set_threshold(*GC_THRESHOLDS)
