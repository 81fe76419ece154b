"""`volt serve`: run the API with uvicorn. Checks what would make every worker fail first."""

from __future__ import annotations

import typer

from volt.cli.common import console, handle_errors, settings_from_env
from volt.config import Settings
from volt.db import embedded, migrate
from volt.errors import UsageError

APP_FACTORY = "volt.app:create_app_from_env"


def check_serving(settings: Settings, workers: int) -> None:
    """Refuse setups that cannot work, before any worker starts."""
    if workers > 1 and settings.redis_url is None:
        # Login codes, revocations and rate-limit counters live in the cache: with memory,
        # each worker would have its own, and a code sent by one worker fails on another.
        raise UsageError(
            f"{workers} workers need a shared cache; the in-process memory cache is per worker.",
            hint="Set VOLT_REDIS_URL (e.g. redis://127.0.0.1:6379/0) or use --workers 1.",
        )
    if settings.embedded:
        # Started here, once, so that workers do not race to start it.
        embedded.ensure_started(settings)
    migrate.require_current(settings)


@handle_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0: all)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes (>1 needs Redis)."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve the API (Swagger UI at /docs). Settings come from VOLT_* variables."""
    import uvicorn

    settings = settings_from_env()
    check_serving(settings, workers)
    base = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"  # noqa: S104
    console.print(f"volt API on {base} — docs {base}/docs — {workers} worker(s)")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        # Client addresses come from the socket; X-Forwarded-For is read by volt itself, and
        # only from VOLT_TRUSTED_PROXIES (uvicorn would otherwise trust 127.0.0.1 by default).
        proxy_headers=False,
        server_header=False,
    )
