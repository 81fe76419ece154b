"""One ETL run from input files: discover → bronze → silver (gold and load come next).

Stages meet only through files in the zones; this module sequences them, times them, checks
that every row is accounted for and hands the run's reports to a recorder (PostgreSQL).
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from volt.domain.codes import normalise_departement
from volt.errors import UsageError, VoltError
from volt.etl.reports import RunReport, StageReport
from volt.etl.sources.files import copy_to_bronze, discover_inputs
from volt.etl.sources.registry import SourceName, match_header, source_spec
from volt.etl.textfiles import inspect_file
from volt.etl.transforms.duck import DuckConfig
from volt.etl.transforms.silver import (
    SilverScope,
    build_silver,
    inspect_inputs,
    missing_columns,
    refuse_if_missing,
)
from volt.etl.zones import Zones

LAST_STAGE = "silver"
NOT_YET = (
    "Gold tables and the PostgreSQL load are the next pipeline stages; this run stops after silver."
)


class RunRecorder(Protocol):
    """Where runs are recorded (the etl_runs table); see volt.etl.load."""

    def started(self, run_id: str, source: str, params: dict[str, object]) -> None: ...

    def finished(self, report: RunReport, error: str | None) -> None: ...


class PipelineProgress(Protocol):
    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, amount: int) -> None: ...

    def done(self, report: StageReport) -> None: ...


@dataclass(frozen=True)
class FilesRun:
    input_dir: Path
    zones: Zones
    duck: DuckConfig
    year: int | None = None
    departement: str | None = None
    keep_work: bool = False

    def params(self) -> dict[str, object]:
        return {
            "input": str(self.input_dir),
            "year": self.year,
            "departement": self.departement,
        }


def new_run_id() -> str:
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def validate_scope(year: int | None, departement: str | None) -> tuple[int | None, str | None]:
    if year is not None and not 2000 <= year <= 2100:
        raise UsageError(f"--year {year} is not a plausible data year.", hint="e.g. --year 2023")
    if departement is None:
        return year, None
    dep = normalise_departement(departement)
    if dep is None:
        raise UsageError(
            f"--departement {departement!r} is not a French département code.",
            hint="Use 01…95, 2A, 2B or 971…976 (as text: 06, not 6).",
        )
    return year, dep


def run_files(
    run: FilesRun,
    progress: PipelineProgress,
    recorder: RunRecorder | None = None,
    run_id: str | None = None,
) -> RunReport:
    run_id = run_id or new_run_id()
    started = time.perf_counter()
    inputs = discover_inputs(run.input_dir, run.departement)
    check_headers(inputs)  # refuse before anything is written
    if recorder:
        recorder.started(run_id, "files", run.params())
    stages: list[StageReport] = []
    try:
        stages = _stages(run, run_id, inputs, progress)
    except VoltError as exc:
        report = RunReport(
            run_id, "failed", tuple(stages), time.perf_counter() - started, "", str(exc)
        )
        _finish(run, report, recorder, exc.message)
        raise
    unbalanced = [s for s in stages if not s.balanced]
    status, message = "succeeded", NOT_YET
    if unbalanced:
        status = "failed"
        message = "Row accounting does not balance for: " + ", ".join(
            f"{s.stage}/{s.source} (in {s.rows_in}, out {s.rows_out}, rejected {s.rows_rejected})"
            for s in unbalanced
        )
    report = RunReport(
        run_id, status, tuple(stages), time.perf_counter() - started, LAST_STAGE, message
    )
    _finish(run, report, recorder, None if status == "succeeded" else message)
    return report


def _stages(
    run: FilesRun, run_id: str, inputs: dict[SourceName, list[Path]], progress: PipelineProgress
) -> list[StageReport]:
    bronze_dir = run.zones.bronze(run_id)
    total_bytes = sum(p.stat().st_size for paths in inputs.values() for p in paths)
    progress.stage("bronze", total_bytes)
    manifest, bronze = copy_to_bronze(inputs, bronze_dir, run_id, progress.advance)
    progress.done(bronze)
    checked = inspect_inputs(manifest, bronze_dir)
    duck = replace(run.duck, temp_dir=run.zones.work(run_id) / "duckdb")
    scope = SilverScope(run.year, run.departement)
    progress.stage("silver", sum(1 for files in checked.values() if files))

    def source_done(report: StageReport) -> None:
        progress.advance(1)
        progress.done(report)

    try:
        silver = build_silver(
            checked, run.zones.silver(run_id), run.zones.work(run_id), duck, scope, source_done
        )
    finally:
        if not run.keep_work:
            shutil.rmtree(run.zones.work(run_id), ignore_errors=True)
    return [bronze, *silver]


def check_headers(inputs: dict[SourceName, list[Path]]) -> None:
    """Every input file has its source's required columns, or the run stops before writing."""
    problems: list[str] = []
    for source, paths in inputs.items():
        spec = source_spec(source)
        for path in paths:
            match = match_header(spec, list(inspect_file(path).header))
            problems.extend(missing_columns(source, str(path), match))
    refuse_if_missing(problems)


def _finish(
    run: FilesRun, report: RunReport, recorder: RunRecorder | None, error: str | None
) -> None:
    path = run.zones.run_report(report.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    if recorder:
        recorder.finished(report, error)
