"""`volt demo` end to end: sample → database → ETL → summary → the API's guide, exit 0 with
`--no-serve`; without it, the API on the loaded sample, logged into as the demo admin with the
code the console mailer prints; `volt --help` lists it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.api.conftest import CODE_IN_MAIL, GENEROUS_LIMITS
from volt.cli.demo_guide import DEMO_ADMIN
from volt.cli.main import app
from volt.config import Settings

runner = CliRunner()

START_TIMEOUT_S = 60  # sample, migrations and ETL run before the server listens (≈ 5 s here)
# ADEME's DPE numbers: 2 digits of year, 2 of month or département, `E`, 7 digits, a letter.
DPE_NUMBER = re.compile(r"\b[0-9]{4}E[0-9]{7}[A-Z]\b")


def test_demo_runs_the_main_job(empty_db_settings: Settings, tmp_path: Path) -> None:
    """On a database of its own: the demo migrates it and loads data other tests must not see."""
    assert empty_db_settings.database_url is not None
    env = {
        "VOLT_DATABASE_URL": empty_db_settings.database_url.get_secret_value(),
        "VOLT_DATA_DIR": str(tmp_path),
    }
    result = runner.invoke(app, ["demo", "--communes", "3", "--no-serve"], env=env)
    out = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "1/3 Generating a 3-commune sample" in out
    assert "succeeded" in out and "Loaded into PostgreSQL as data_version" in out
    assert "PASS geocode_rate" in out and "Geocoding Enedis → BAN" in out
    assert (tmp_path / "demo" / "sample-3-42" / ".complete").exists()
    again = runner.invoke(app, ["demo", "--communes", "3", "--no-serve", "--port", "8123"], env=env)
    again_out = " ".join(again.output.split())
    assert again.exit_code == 0 and "Reusing the sample" in again_out
    # Same input, same data_version: nothing past bronze runs and the served data stays identical.
    assert "Nothing to do: the sources are unchanged since the load being served" in again_out
    # The admin the first run registered is found again, and the guide printed as it is.
    assert again.output[again.output.index("API:  ") :].splitlines() == guide(8123)


def guide(port: int) -> list[str]:
    base, auth = f"http://127.0.0.1:{port}", "-H 'Content-Type: application/json'"
    bearer = '-H "Authorization: Bearer $TOKEN"'
    return [
        f"API:  {base}",
        f"Docs: {base}/docs (Swagger UI; *Authorize*: username = e-mail, password = code)",
        "",
        f"Log in as the demo admin {DEMO_ADMIN}: request a code (the console mailer prints it "
        "in this terminal, under the server log),",
        f'  curl -s -X POST {base}/v1/auth/code {auth} -d \'{{"email": "{DEMO_ADMIN}"}}\'',
        "then exchange it (replace CODE) for a bearer token:",
        f"  TOKEN=$(curl -s -X POST {base}/v1/auth/token {auth} "
        f'-d \'{{"email": "{DEMO_ADMIN}", "code": "CODE"}}\' | python3 -c \'import json,sys; '
        'print(json.load(sys.stdin)["access_token"])\')',
        "",
        "Examples (Cannes, 06029):",
        f"  curl -s {bearer} '{base}/v1/buildings?commune=06029&limit=3'",
        f"  curl -s {bearer} '{base}/v1/map/areas.geojson?level=commune'",
        f"  curl -s {bearer} '{base}/v1/stats/commune?code=06029&format=csv'",
        f"(--no-serve: start it with `volt serve --port {port}`)",
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """`volt demo` in a child process; its output, read as it comes."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 10) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = pattern.search(self.output)
            if match:
                return match
            time.sleep(0.05)
        raise AssertionError(f"{pattern.pattern!r} never printed:\n{self.output}")


@pytest.fixture
def served_demo(empty_db_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Served]]:
    """`volt demo --communes 2` serving on a free port; its base URL and its output."""
    assert empty_db_settings.database_url is not None
    port = free_port()
    env = os.environ | {
        "VOLT_DATABASE_URL": empty_db_settings.database_url.get_secret_value(),
        "VOLT_DATA_DIR": str(tmp_path),
        "VOLT_RATE_LIMITS": json.dumps(GENEROUS_LIMITS),
        "VOLT_LOGIN_CODE_MIN_RESPONSE_MS": "0",
        "COLUMNS": "200",
    }
    for name in ("VOLT_REDIS_URL", "VOLT_MAILER"):
        env.pop(name, None)
    command = [sys.executable, "-m", "volt.cli.main", "demo", "--communes", "2"]
    served = Served([*command, "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if served.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(served.output) from None
                time.sleep(0.1)
        yield base, served
    finally:
        served.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        served.process.wait(timeout=15)


def test_the_demo_serves_the_sample_to_the_demo_admin(
    served_demo: tuple[str, Served], tmp_path: Path
) -> None:
    base, served = served_demo
    assert httpx.get(f"{base}/health").json()["status"] == "ok"
    assert httpx.get(f"{base}/ready").json()["status"] == "ready"
    assert f"volt API on {base}" in served.output
    # The login path the guide prints, code read from the server log as a user would.
    sent = httpx.post(f"{base}/v1/auth/code", json={"email": DEMO_ADMIN})
    assert sent.status_code == 202
    code = served.wait_for(CODE_IN_MAIL).group(1)
    token = httpx.post(f"{base}/v1/auth/token", json={"email": DEMO_ADMIN, "code": code}).json()
    assert token["role"] == "admin"
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    buildings = httpx.get(f"{base}/v1/buildings?commune=06029&limit=500", headers=auth)
    assert buildings.status_code == 200
    items = buildings.json()["items"]
    assert items and all(i["n_dwellings"] >= 10 for i in items)
    assert {i["dpe_suppressed"] for i in items} == {False, True}  # real data has both
    points = httpx.get(f"{base}/v1/map/buildings.geojson?commune=06029", headers=auth)
    areas = httpx.get(f"{base}/v1/map/areas.geojson?level=commune", headers=auth)
    assert [f["id"] for f in areas.json()["features"]] == ["06029", "69383"]
    # The guide's example calls, as printed.
    examples = re.findall(r"curl -s -H \"Authorization: Bearer \$TOKEN\" '([^']+)'", served.output)
    assert len(examples) == 3
    assert [httpx.get(url, headers=auth).status_code for url in examples] == [200, 200, 200]
    # Privacy on real generated data: not one of the sample's DPE numbers comes back.
    sample = tmp_path / "demo" / "sample-2-42" / "dpe"
    numbers = {n for f in sample.iterdir() for n in DPE_NUMBER.findall(f.read_text("utf-8"))}
    assert len(numbers) > 100
    for answer in (buildings, points, areas):
        assert not numbers & set(DPE_NUMBER.findall(answer.text))


def test_help_lists_the_command_groups() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "sample", "etl", "db"):
        assert command in result.output
