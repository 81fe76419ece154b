"""ETL runs are recorded in PostgreSQL (etl_runs) with their stage reports, as the writer role."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.etl.conftest import FIXTURES, NullProgress, write_inputs
from volt.config import Settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.errors import InputFormatError
from volt.etl.load import PostgresRunRecorder, list_runs
from volt.etl.pipeline import FilesRun, run_etl
from volt.etl.transforms.duck import DuckConfig
from volt.etl.zones import Zones

RUN_SQL = "SELECT status, source, params, stages, error, triggered_by FROM etl_runs WHERE id = %s"


def _run(settings: Settings, tmp_path: Path, files: dict[str, str | bytes], run_id: str) -> None:
    input_dir = write_inputs(tmp_path / "in", files)
    run = FilesRun(
        input_dir, Zones(tmp_path / "zones"), DuckConfig("256MB", 1), stop_after="silver"
    )
    run_etl(run, NullProgress(), PostgresRunRecorder(settings, "test"), run_id)


def test_a_run_and_its_stage_reports_are_recorded(pg_settings: Settings, tmp_path: Path) -> None:
    enedis = (FIXTURES / "cannes-enedis-2022.csv").read_bytes()
    _run(pg_settings, tmp_path, {"enedis/cannes.csv": enedis}, "test-run-recorded")
    with connect(pg_settings, DbRole.WRITER) as conn:
        row = conn.execute(RUN_SQL, ("test-run-recorded",)).fetchone()
    assert row is not None
    status, source, params, stages, error, who = row
    assert (status, source, error, who) == ("succeeded", "files", None, "test")
    assert params["year"] is None and params["departement"] is None
    assert [(s["stage"], s["source"], s["rows_in"], s["rows_out"]) for s in stages] == [
        ("bronze", "all", 81, 81),
        ("silver", "enedis", 81, 81),
    ]
    assert any(r["id"] == "test-run-recorded" for r in list_runs(pg_settings, 50))


def test_a_refused_run_writes_no_record(pg_settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InputFormatError):
        _run(pg_settings, tmp_path, {"enedis/bad.csv": "annee;x\n2022;1\n"}, "test-run-refused")
    with connect(pg_settings, DbRole.WRITER) as conn:
        assert conn.execute(RUN_SQL, ("test-run-refused",)).fetchone() is None


def test_the_reader_role_cannot_see_etl_runs(reader_conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader_conn.execute("SELECT count(*) FROM etl_runs")
