"""The only ETL module that writes PostgreSQL: run records now, the gold load (COPY → swap) next."""

from __future__ import annotations

import getpass
import json

from psycopg.types.json import Jsonb

from volt.config import Settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.etl.reports import RunReport

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
SELECT id, source, status, started_at, finished_at, params, stages, error
FROM etl_runs
ORDER BY started_at DESC
LIMIT %(limit)s
"""


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
