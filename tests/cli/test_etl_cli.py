"""`volt etl run`: exit codes 0 / 1 / 2, the report table, and the run recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.etl.conftest import FIXTURES, write_inputs
from tests.etl.sources.replay_worlds import make_sample_world
from volt.cli.etl import app
from volt.config import Settings
from volt.db import migrate
from volt.etl.sources.replay import ReplayServer

runner = CliRunner()


def flat(text: str) -> str:
    """Rich wraps to the terminal width; compare on whitespace-collapsed text."""
    return " ".join(text.split())


@pytest.fixture
def env(pg_settings: Settings, tmp_path: Path) -> dict[str, str]:
    assert pg_settings.database_url is not None
    return {
        "VOLT_DATABASE_URL": pg_settings.database_url.get_secret_value(),
        "VOLT_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "160",
    }


def test_run_prints_the_stage_table_and_exits_0(env: dict[str, str], tmp_path: Path) -> None:
    inputs = write_inputs(
        tmp_path / "in",
        {"enedis/c.csv": (FIXTURES / "cannes-enedis-2022.csv").read_bytes()},
    )
    result = runner.invoke(app, ["run", "--input", str(inputs), "--stop-after", "silver"], env=env)
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    out = flat(result.output)
    assert "✓ silver/enedis: 81 rows in, 81 out, 0 rejected" in out
    assert "│ silver │ enedis │ 81 │ 81 │ 0 │ 0 │ 0 │" in out
    assert "Stopped after silver as asked." in out
    listed = runner.invoke(app, ["runs"], env=env)
    assert listed.exit_code == 0 and "succeeded" in listed.output


def test_missing_required_columns_exit_1_with_the_names(
    env: dict[str, str], tmp_path: Path
) -> None:
    inputs = write_inputs(tmp_path / "in", {"enedis/bad.csv": "annee;adresse\n2022;1 RUE X\n"})
    result = runner.invoke(app, ["run", "--input", str(inputs)], env=env)
    assert result.exit_code == 1
    assert (
        "enedis/bad.csv (enedis): missing required column(s) numero_de_voie, libelle_de_voie, "
        "code_commune, nombre_de_logements, consommation_annuelle_totale_de_l_adresse_mwh"
    ) in flat(result.output)
    assert not (tmp_path / "data" / "zones").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "--input DIR is required"),
        (["run", "--input", "/nonexistent/volt"], "does not exist"),
        (["run", "--input", ".", "--departement", "100"], "not a French département code"),
        (["run", "--source", "api", "--input", "."], "--input is for --source files"),
        (["run", "--input", ".", "--year", "1850"], "not a plausible data year"),
    ],
)
def test_usage_errors_exit_2(env: dict[str, str], args: list[str], message: str) -> None:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 2
    assert message in flat(result.output)


def test_gold_without_all_three_sources_is_blocked(env: dict[str, str], tmp_path: Path) -> None:
    inputs = write_inputs(
        tmp_path / "in", {"enedis/c.csv": (FIXTURES / "cannes-enedis-2022.csv").read_bytes()}
    )
    result = runner.invoke(app, ["run", "--input", str(inputs)], env=env)
    assert result.exit_code == 1
    assert "Gold needs Enedis, DPE and BAN rows; none survived silver for: dpe, ban" in flat(
        result.output
    )


@pytest.fixture(scope="module")
def replay_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_world(tmp_path_factory.mktemp("world"))


def test_source_api_fetches_shows_the_summary_and_reuses_on_rerun(
    env: dict[str, str], replay_world: Path
) -> None:
    with ReplayServer(replay_world) as server:
        api_env = env | server.env()
        args = ["run", "--source", "api", "--departement", "06", "--year", "2023"]
        result = runner.invoke(app, [*args, "--stop-after", "gold"], env=api_env)
        assert result.exit_code == 0, result.output
        out = flat(result.output)
        assert "✓ fetch: 3 partition(s) fetched, 0 resumed, 0 unchanged and reused" in out
        assert "7 requests, 0 retries, 0 throttled (429)" in out
        assert "BAN web geocoder: 0 addresses left by the national file" in out
        assert "enedis annee-2023_dep-06" in out  # the partition's progress bar

        again = runner.invoke(app, [*args, "--stop-after", "bronze"], env=api_env)
        assert again.exit_code == 0, again.output
        out = flat(again.output)
        assert "0 partition(s) fetched, 0 resumed, 3 unchanged and reused" in out
        assert "Stopped after bronze as asked" in out


def test_source_api_down_exits_1_and_says_the_run_resumes(
    env: dict[str, str], replay_world: Path
) -> None:
    with ReplayServer(replay_world) as server:
        server.faults.add("/dpe03existant", "status", status=503, times=None)
        api_env = env | server.env() | {"VOLT_HTTP_RETRIES": "1"}
        args = ["run", "--source", "api", "--departement", "06", "--year", "2023"]
        result = runner.invoke(app, args, env=api_env)
    assert result.exit_code == 1
    out = flat(result.output)
    assert "failed 2 times; last: HTTP 503" in out
    assert "the run resumes where it stopped" in out


def test_source_api_rerun_on_unchanged_sources_does_nothing_past_bronze(
    empty_db_settings: Settings, replay_world: Path, tmp_path: Path
) -> None:
    migrate.upgrade(empty_db_settings)
    assert empty_db_settings.database_url is not None
    env = {
        "VOLT_DATABASE_URL": empty_db_settings.database_url.get_secret_value(),
        "VOLT_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "160",
    }
    args = ["run", "--source", "api", "--departement", "06", "--year", "2023"]
    with ReplayServer(replay_world) as server:
        first = runner.invoke(app, args, env=env | server.env())
        assert first.exit_code == 0, first.output
        assert "Loaded into PostgreSQL as data_version" in flat(first.output)
        server.log.clear()
        again = runner.invoke(app, args, env=env | server.env())
        # Probes only: two dataset metadata reads, the Enedis and DPE counts, the BAN file's
        # conditional GET; no page, no geocoding.
        assert server.log.count("") == 5
    assert again.exit_code == 0, again.output
    out = flat(again.output)
    assert "0 partition(s) fetched, 0 resumed, 3 unchanged and reused" in out
    assert "Nothing to do: the sources are unchanged since the load being served" in out
    assert "silver/" not in out and "Loaded into PostgreSQL" not in out
    # New geocoder thresholds decide other matches: not "nothing to do" (part of data_version).
    with ReplayServer(replay_world) as server:
        stricter = env | server.env() | {"VOLT_GEOCODER_MIN_SCORE": "0.9"}
        third = runner.invoke(app, args, env=stricter)
    assert third.exit_code == 0, third.output
    assert "Loaded into PostgreSQL as data_version" in flat(third.output)
