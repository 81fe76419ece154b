"""The pipeline's Publisher for PostgreSQL: quality gates against the current load, the load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from volt.config import Settings
from volt.db.dsn import DbRole
from volt.etl.load import current_data_version, data_version_of, load_gold, previous_load
from volt.etl.manifest import Manifest
from volt.etl.quality import GateThresholds, QualityReport, check_gates, source_rows_of
from volt.etl.reports import StageReport


class PostgresPublisher:
    def __init__(self, settings: Settings, code_version: str) -> None:
        self._settings = settings
        self._code_version = code_version

    def data_version(self, manifest: Manifest) -> str:
        return data_version_of(manifest.entries, self._code_version)

    def served_version(self) -> str | None:
        return current_data_version(self._settings, DbRole.WRITER)

    def check(self, gold_dir: Path, manifest: Manifest, metrics: dict[str, Any]) -> QualityReport:
        numeric = {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)}
        return check_gates(
            gold_dir,
            source_rows=source_rows_of(manifest.to_dict()),
            thresholds=GateThresholds.from_settings(self._settings),
            previous=previous_load(self._settings),
            metrics=numeric,
        )

    def load(
        self, gold_dir: Path, run_id: str, manifest: Manifest, gates: QualityReport
    ) -> StageReport:
        report = load_gold(
            self._settings,
            gold_dir,
            run_id,
            manifest.to_dict(),
            self.data_version(manifest),
            gates,
        )
        rows = sum(report.tables.values())
        return StageReport(
            stage="load",
            source="postgres",
            rows_in=rows,
            rows_out=rows,
            rows_rejected=0,
            seconds=report.seconds,
            outputs=(f"data_version {report.data_version}",),
            flags={"skipped_same_data_version": int(report.skipped)},
        )
