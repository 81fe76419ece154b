"""`volt demo` end to end: sample → database → ETL → summary, exit 0; `volt --help` lists it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from volt.cli.main import app
from volt.config import Settings

runner = CliRunner()


def test_demo_runs_the_main_job(empty_db_settings: Settings, tmp_path: Path) -> None:
    """On a database of its own: the demo migrates it and loads data other tests must not see."""
    assert empty_db_settings.database_url is not None
    env = {
        "VOLT_DATABASE_URL": empty_db_settings.database_url.get_secret_value(),
        "VOLT_DATA_DIR": str(tmp_path),
    }
    result = runner.invoke(app, ["demo", "--communes", "3"], env=env)
    out = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "1/3 Generating a 3-commune sample" in out
    assert "succeeded" in out and "Loaded into PostgreSQL as data_version" in out
    assert "PASS geocode_rate" in out and "Geocoding Enedis → BAN" in out
    assert (tmp_path / "demo" / "sample-3-42" / ".complete").exists()
    again = runner.invoke(app, ["demo", "--communes", "3"], env=env)
    again_out = " ".join(again.output.split())
    assert again.exit_code == 0 and "Reusing the sample" in again_out
    # Same input, same data_version: the load is skipped and the served data stays identical.
    assert "Nothing to load: this data_version is already the one served." in again_out


def test_help_lists_the_command_groups() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "sample", "etl", "db"):
        assert command in result.output
