"""The ETL's side of PostgreSQL: run records and the gold load (staging via load_stage, swap).

The writer role cannot create or rename tables: staging, indexing and the swap go through the
owner's SECURITY DEFINER functions of migrations 0002/0003 (volt_prepare/index/swap_staging).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from volt.config import Settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.errors import UsageError, VoltError
from volt.etl.gold_schema import PUBLISHED_TABLES
from volt.etl.load_stage import stage_tables
from volt.etl.manifest import ManifestEntry
from volt.etl.quality import PreviousLoad, QualityReport, gold_source
from volt.etl.reports import RunReport

Conn = psycopg.Connection[TupleRow]

INSERT_RUN_SQL = """
INSERT INTO etl_runs (id, source, params, status, triggered_by)
VALUES (%(id)s, %(source)s, %(params)s, 'running', %(triggered_by)s)
"""

FINISH_RUN_SQL = """
UPDATE etl_runs
SET status = %(status)s, finished_at = now(), stages = %(stages)s, error = %(error)s
WHERE id = %(id)s
"""

LIST_RUNS_SQL = """
SELECT id, source, status, started_at, finished_at, params, stages, error, data_version
FROM etl_runs
ORDER BY started_at DESC
LIMIT %(limit)s
"""

# A load run carries its data_version from its first moment: that is what the sweeper looks for.
BEGIN_LOAD_RUN_SQL = """
INSERT INTO etl_runs (id, source, status, triggered_by, data_version, manifests)
VALUES (%(id)s, 'load', 'running', %(triggered_by)s, %(data_version)s, %(manifests)s)
ON CONFLICT (id) DO UPDATE SET status = 'running', finished_at = NULL,
    data_version = EXCLUDED.data_version, manifests = EXCLUDED.manifests
"""
END_LOAD_RUN_SQL = """
UPDATE etl_runs SET status = %(status)s, finished_at = now(), error = %(error)s,
    quality = %(quality)s
WHERE id = %(id)s
"""
# Only called under the load lock: no live load exists, so a 'running' load is a dead one.
SWEEP_SQL = """
UPDATE etl_runs SET status = 'failed', finished_at = now(),
    error = 'The load stopped without finishing (process killed?); swept by run ' || %(by)s
WHERE status = 'running' AND data_version IS NOT NULL AND id <> %(by)s
RETURNING id
"""
CURRENT_LOAD_SQL = "SELECT data_version, partition_counts FROM data_loads WHERE is_current"
TRY_LOAD_LOCK_SQL = "SELECT pg_try_advisory_lock(%s)"
PREPARE_SQL = "SELECT volt_prepare_staging()"
SWAP_SQL = "SELECT volt_swap_staging(%(data_version)s, %(run_id)s, %(manifest)s, %(counts)s)"

# Session advisory lock held by a running load (ASCII "voltload"): one load at a time, and the
# sweeper knows that a 'running' load without it is dead.
LOAD_LOCK_KEY = 0x766F_6C74_6C6F_6164
# The swap waits for readers' locks at most this long per attempt, under the 1 s deadlock_timeout:
# a reader holding one table and asking for another gets through, then the swap tries again.
SWAP_LOCK_TIMEOUT = "500ms"
SWAP_ATTEMPTS = 120


@dataclass(frozen=True)
class LoadReport:
    data_version: str
    skipped: bool  # this data_version was already the current load
    tables: dict[str, int]  # rows loaded per table
    seconds: float  # the whole load
    rows_per_second: float  # COPY throughput: rows / copy_seconds
    copy_seconds: float = 0.0
    streams: int = 0


class LoadBlockedError(VoltError):
    """A quality gate failed: nothing was loaded, the run is recorded 'blocked'."""

    status_code = 409
    title = "Load blocked by quality gates"


class PostgresRunRecorder:
    """Records each run and its stage reports in etl_runs, as the writer role."""

    def __init__(self, settings: Settings, triggered_by: str | None = None) -> None:
        self._settings = settings
        self._triggered_by = triggered_by or f"cli:{getpass.getuser()}"

    def started(self, run_id: str, source: str, params: dict[str, object]) -> None:
        with connect(self._settings, DbRole.WRITER) as conn:
            conn.execute(
                INSERT_RUN_SQL,
                {
                    "id": run_id,
                    "source": source,
                    "params": Jsonb(params),
                    "triggered_by": self._triggered_by,
                },
            )

    def finished(self, report: RunReport, error: str | None) -> None:
        stages = json.loads(json.dumps([s.to_dict() for s in report.stages]))
        with connect(self._settings, DbRole.WRITER) as conn:
            conn.execute(
                FINISH_RUN_SQL,
                {
                    "id": report.run_id,
                    "status": report.status,
                    "stages": Jsonb(stages),
                    "error": error,
                },
            )


def list_runs(settings: Settings, limit: int = 20) -> list[dict[str, object]]:
    with connect(settings, DbRole.WRITER) as conn, conn.cursor() as cur:
        cur.execute(LIST_RUNS_SQL, {"limit": limit})
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def data_version_of(
    manifest_entries: Iterable[ManifestEntry | Mapping[str, Any]], code_version: str
) -> str:
    """sha256 over the bronze files' (source, sha256), order-free, and the pipeline version."""
    pairs = sorted(
        (e.source, e.sha256) if isinstance(e, ManifestEntry) else (e["source"], e["sha256"])
        for e in manifest_entries
    )
    digest = hashlib.sha256(f"volt {code_version}\n".encode())
    for source, sha in pairs:
        digest.update(f"{source} {sha}\n".encode())
    return digest.hexdigest()


def previous_load(settings: Settings) -> PreviousLoad | None:
    """The current load's partition counts, for the drop gate; None before the first load."""
    with connect(settings, DbRole.WRITER) as conn:
        row = conn.execute(CURRENT_LOAD_SQL).fetchone()
    return None if row is None else PreviousLoad(row[0], row[1])


def current_data_version(settings: Settings, role: DbRole = DbRole.READER) -> str | None:
    """The data_version the serving tables hold (the API stamps its responses with it)."""
    with connect(settings, role) as conn:
        row = conn.execute(CURRENT_LOAD_SQL).fetchone()
    return None if row is None else str(row[0])


def load_gold(
    settings: Settings,
    gold_dir: Path,
    run_id: str,
    manifest: dict[str, Any],
    data_version: str,
    gates: QualityReport,
) -> LoadReport:
    """Publish the gold files unless a gate failed or `data_version` is already current."""
    started = time.perf_counter()
    with connect(settings, DbRole.WRITER, autocommit=True) as control:
        _take_load_lock(control)
        control.execute(SWEEP_SQL, {"by": run_id})
        control.execute(
            BEGIN_LOAD_RUN_SQL,
            {
                "id": run_id,
                "triggered_by": f"load:{getpass.getuser()}",
                "data_version": data_version,
                "manifests": Jsonb(manifest),
            },
        )
        if not gates.passed:
            _end_run(control, run_id, "blocked", "\n".join(gates.render()), gates)
            raise LoadBlockedError(
                "Quality gates failed; nothing was loaded: " + "; ".join(gates.render()),
                hint="See the run's quality report (volt etl runs).",
            )
        current = control.execute(CURRENT_LOAD_SQL).fetchone()
        if current is not None and current[0] == data_version:
            _end_run(control, run_id, "succeeded", None, gates)
            return LoadReport(data_version, True, {}, time.perf_counter() - started, 0.0)
        try:
            tables, copy_seconds = _stage(settings, control, gold_dir)
            _publish(control, run_id, manifest, data_version, gates)
        except BaseException as exc:
            _end_run(control, run_id, "failed", f"{type(exc).__name__}: {exc}", gates)
            raise
    total = sum(tables.values())
    return LoadReport(
        data_version=data_version,
        skipped=False,
        tables=tables,
        seconds=time.perf_counter() - started,
        rows_per_second=total / copy_seconds if copy_seconds > 0 else 0.0,
        copy_seconds=copy_seconds,
        streams=settings.load_streams,
    )


def _take_load_lock(control: Conn) -> None:
    row = control.execute(TRY_LOAD_LOCK_SQL, (LOAD_LOCK_KEY,)).fetchone()
    if row is None or not row[0]:
        raise UsageError(
            "Another gold load is running on this database.",
            hint="Wait for it to finish (volt etl runs shows it).",
        )


def _end_run(
    control: Conn, run_id: str, status: str, error: str | None, gates: QualityReport
) -> None:
    params = {"id": run_id, "status": status, "error": error, "quality": Jsonb(gates.to_dict())}
    control.execute(END_LOAD_RUN_SQL, params)


def _stage(settings: Settings, control: Conn, gold_dir: Path) -> tuple[dict[str, int], float]:
    """Fresh staging tables, filled and indexed by `load_streams` parallel sessions."""
    control.execute(PREPARE_SQL)
    staged = stage_tables(settings, [(t, gold_source(gold_dir, t)) for t in PUBLISHED_TABLES])
    return staged.rows, staged.copy_seconds


def _publish(
    control: Conn,
    run_id: str,
    manifest: dict[str, Any],
    data_version: str,
    gates: QualityReport,
) -> None:
    """Index and analyse staging (invisible to readers), then swap and record in one transaction."""
    params = {
        "data_version": data_version,
        "run_id": run_id,
        "manifest": Jsonb(manifest),
        "counts": Jsonb({t: dict(p) for t, p in gates.partition_counts.items()}),
    }
    for attempt in range(SWAP_ATTEMPTS):
        try:
            with control.transaction():
                control.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                control.execute(SWAP_SQL, params)
                _end_run(control, run_id, "succeeded", None, gates)
            return
        except errors.LockNotAvailable:
            if attempt == SWAP_ATTEMPTS - 1:
                raise
            time.sleep(0.1)
