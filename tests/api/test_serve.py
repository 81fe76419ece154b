"""`volt serve`: refuses setups that cannot work, and serves the app over real HTTP (uvicorn)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from volt.cli.main import app as cli
from volt.cli.serve import check_serving
from volt.config import Settings, load_settings
from volt.errors import ConfigError, UsageError

START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_several_workers_on_the_memory_cache_are_refused(api_pg_settings: Settings) -> None:
    with pytest.raises(UsageError) as caught:
        check_serving(api_pg_settings.model_copy(update={"redis_url": None}), workers=2)
    assert caught.value.message == (
        "2 workers need a shared cache; the in-process memory cache is per worker."
    )
    assert caught.value.hint is not None and "VOLT_REDIS_URL" in caught.value.hint


def test_the_cli_says_what_to_do_when_the_database_is_not_migrated(
    database_factory: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_factory("serve")
    with pytest.raises(ConfigError) as caught:
        check_serving(load_settings(database_url=url, data_dir=tmp_path, env="test"), workers=1)
    assert caught.value.hint == "Run `volt db upgrade` first."
    monkeypatch.setenv("VOLT_DATABASE_URL", url)
    monkeypatch.setenv("VOLT_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    assert result.exit_code == 2
    assert "this volt needs 0005" in result.output and "volt db upgrade" in result.output


@pytest.fixture
def served(api_pg_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """`volt serve` in a child process on a free port; its base URL."""
    assert api_pg_settings.database_url is not None
    port = free_port()
    env = os.environ | {
        "VOLT_DATABASE_URL": api_pg_settings.database_url.get_secret_value(),
        "VOLT_DATA_DIR": str(tmp_path),
        "VOLT_ENV": "test",
    }
    env.pop("VOLT_REDIS_URL", None)
    command = [sys.executable, "-m", "volt.cli.main", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stdout.read() if process.stdout else "") from None
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)


def test_serve_answers_health_docs_and_readiness_over_http(served: str) -> None:
    health = httpx.get(f"{served}/health")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    assert "server" not in health.headers  # no version banner
    ready = httpx.get(f"{served}/ready")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["detail"] == (
        "Not ready: no data load is published yet (run `volt etl run`)."
    )
    assert httpx.get(f"{served}/openapi.json").json()["openapi"].startswith("3.1")
    assert "swagger-ui" in httpx.get(f"{served}/docs").text
    assert "redoc" in httpx.get(f"{served}/redoc").text
    me = httpx.get(f"{served}/v1/auth/me")
    assert (me.status_code, me.headers["www-authenticate"]) == (401, 'Bearer realm="volt"')
