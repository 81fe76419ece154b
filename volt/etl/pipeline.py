"""One ETL run: input files or live APIs → bronze → silver → gold → quality gates → load.

Stages meet only through files in the zones; this module sequences them, times them, checks
that every row is accounted for, and hands the run's reports to a recorder (PostgreSQL). The
database side (gates' previous load, the load itself) comes in through the Publisher protocol,
so the pipeline holds no SQL connection of its own.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from volt import __version__
from volt.domain.codes import normalise_departement
from volt.errors import UsageError, VoltError
from volt.etl.geocode import Geocoder
from volt.etl.manifest import Manifest
from volt.etl.quality import QualityReport
from volt.etl.reports import RunReport, StageReport
from volt.etl.sources.files import copy_to_bronze, discover_inputs
from volt.etl.sources.registry import SOURCES, SourceName, match_header, source_spec
from volt.etl.textfiles import inspect_file
from volt.etl.transforms.duck import DuckConfig
from volt.etl.transforms.silver import (
    SilverScope,
    build_silver,
    inspect_inputs,
    missing_columns,
    refuse_if_missing,
)
from volt.etl.transforms.to_gold import GoldOutcome, silver_to_gold
from volt.etl.zones import Zones

StopAfter = Literal["bronze", "silver", "gold", "load"]
PIPELINE_VERSION = __version__  # part of data_version: a new pipeline gives a new load


class RunRecorder(Protocol):
    """Where runs are recorded (the etl_runs table); see volt.etl.load."""

    def started(self, run_id: str, source: str, params: dict[str, object]) -> None: ...

    def finished(self, report: RunReport, error: str | None) -> None: ...


class Publisher(Protocol):
    """The database side of a run: quality gates against the current load, then the load."""

    def check(
        self, gold_dir: Path, manifest: Manifest, metrics: dict[str, Any]
    ) -> QualityReport: ...

    def load(
        self, gold_dir: Path, run_id: str, manifest: Manifest, gates: QualityReport
    ) -> StageReport: ...

    def data_version(self, manifest: Manifest) -> str: ...

    def served_version(self) -> str | None: ...  # the data_version being served, if any


class PipelineProgress(Protocol):
    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, amount: int) -> None: ...

    def done(self, report: StageReport) -> None: ...


class BronzeFetcher(Protocol):
    """A live source that fetches a run's scope into its bronze directory (volt.etl.sources.api)."""

    def params(self) -> dict[str, object]: ...

    def to_bronze(self, bronze_dir: Path, run_id: str) -> tuple[Manifest, StageReport]: ...

    def details(self) -> dict[str, Any]: ...  # for the run report, after to_bronze


@dataclass(frozen=True)
class FilesRun:
    input_dir: Path
    zones: Zones
    duck: DuckConfig
    year: int | None = None
    departement: str | None = None
    keep_work: bool = False
    stop_after: StopAfter = "load"
    geocoders: tuple[Geocoder, ...] = ()  # after the national BAN file, on what it left pending
    origin = "files"

    def params(self) -> dict[str, object]:
        return {
            "input": str(self.input_dir),
            "year": self.year,
            "departement": self.departement,
            "stop_after": self.stop_after,
        }


@dataclass(frozen=True)
class ApiRun:
    """A run whose bronze comes from the public APIs; then the same stages as for files."""

    fetcher: BronzeFetcher
    zones: Zones
    duck: DuckConfig
    year: int | None = None
    departement: str | None = None
    keep_work: bool = False
    stop_after: StopAfter = "load"
    geocoders: tuple[Geocoder, ...] = ()
    origin = "api"

    def params(self) -> dict[str, object]:
        return {
            "year": self.year,
            "departement": self.departement,
            "stop_after": self.stop_after,
            **self.fetcher.params(),
        }


Run = FilesRun | ApiRun


@dataclass
class _Outcome:
    """What the stages produced so far (mutable while the run goes)."""

    stages: list[StageReport] = field(default_factory=list)
    status: str = "succeeded"
    stopped_after: str = ""
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    unchanged: bool = False  # bronze is the load being served: nothing else to do


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


def run_etl(
    run: Run,
    progress: PipelineProgress,
    recorder: RunRecorder | None = None,
    run_id: str | None = None,
    publisher: Publisher | None = None,
) -> RunReport:
    run_id = run_id or new_run_id()
    started = time.perf_counter()
    inputs: dict[SourceName, list[Path]] = {}
    if isinstance(run, FilesRun):
        inputs = discover_inputs(run.input_dir, run.departement)
        check_headers(inputs)  # refuse before anything is written
    if recorder:
        recorder.started(run_id, run.origin, run.params())
    outcome = _Outcome()
    try:
        _run_stages(run, run_id, inputs, progress, publisher, outcome)
    except VoltError as exc:
        report = _report(run_id, outcome, started, status="failed", message=str(exc))
        _finish(run, report, recorder, exc.message)
        raise
    except Exception as exc:
        # An unexpected failure is still recorded: the run must not stay 'running'.
        message = f"{type(exc).__name__}: {exc}"
        _finish(run, _report(run_id, outcome, started, status="failed", message=message),
                recorder, message)  # fmt: skip
        raise
    finally:
        if not run.keep_work:
            shutil.rmtree(run.zones.work(run_id), ignore_errors=True)
    report = _report(run_id, outcome, started)
    _finish(run, report, recorder, None if report.status == "succeeded" else report.message)
    return report


def _run_stages(
    run: Run,
    run_id: str,
    inputs: dict[SourceName, list[Path]],
    progress: PipelineProgress,
    publisher: Publisher | None,
    outcome: _Outcome,
) -> None:
    manifest = _bronze_and_silver(run, run_id, inputs, progress, publisher, outcome)
    if _unbalanced(outcome) or run.stop_after == "bronze" or outcome.unchanged:
        if run.stop_after == "bronze" and outcome.status == "succeeded":
            outcome.message = (
                f"Stopped after bronze as asked; bronze zone: {run.zones.bronze(run_id)}"
            )
        return
    if run.stop_after == "silver":
        outcome.message = "Stopped after silver as asked."
        return
    missing = [s for s in SOURCES if not any((run.zones.silver(run_id) / s).rglob("*.parquet"))]
    if missing:
        outcome.status, outcome.message = (
            "blocked",
            (
                "Gold needs Enedis, DPE and BAN rows; none survived silver for: "
                + ", ".join(missing)
                + ". The run stopped after silver."
            ),
        )
        return
    gold = _gold(run, run_id, progress, outcome)
    if run.stop_after == "gold" or publisher is None:
        outcome.message = f"Stopped after gold as asked; gold zone: {run.zones.gold(run_id)}"
        return
    _publish(run, run_id, manifest, gold, publisher, progress, outcome)


def _bronze_and_silver(
    run: Run,
    run_id: str,
    inputs: dict[SourceName, list[Path]],
    progress: PipelineProgress,
    publisher: Publisher | None,
    outcome: _Outcome,
) -> Manifest:
    bronze_dir = run.zones.bronze(run_id)
    if isinstance(run, ApiRun):
        manifest, bronze = run.fetcher.to_bronze(bronze_dir, run_id)
        outcome.details.update(run.fetcher.details())
    else:
        progress.stage("bronze", sum(p.stat().st_size for paths in inputs.values() for p in paths))
        manifest, bronze = copy_to_bronze(inputs, bronze_dir, run_id, progress.advance)
    _done(progress, outcome, bronze, "bronze")
    if run.stop_after == "bronze":
        return manifest
    if publisher is not None and run.stop_after == "load":
        version = publisher.data_version(manifest)
        if version == publisher.served_version():
            # Same bytes from every source, same pipeline: the same load is already served.
            outcome.details["data_version"] = version
            outcome.unchanged = True
            outcome.message = (
                f"Nothing to do: the sources are unchanged since the load being served "
                f"(data_version {version[:12]}…); silver, gold and the load were skipped."
            )
            return manifest
    checked = inspect_inputs(manifest, bronze_dir)
    duck = replace(run.duck, temp_dir=run.zones.work(run_id) / "duckdb")
    progress.stage("silver", sum(1 for files in checked.values() if files))

    def source_done(report: StageReport) -> None:
        progress.advance(1)
        _done(progress, outcome, report, "silver")

    build_silver(
        checked,
        run.zones.silver(run_id),
        run.zones.work(run_id),
        duck,
        SilverScope(run.year, run.departement),
        source_done,
    )
    return manifest


def _gold(run: Run, run_id: str, progress: PipelineProgress, outcome: _Outcome) -> GoldOutcome:
    progress.stage("gold", 2)
    duck = replace(run.duck, temp_dir=run.zones.work(run_id) / "duckdb")
    gold = silver_to_gold(
        run.zones.silver(run_id),
        run.zones.gold(run_id),
        run.zones.work(run_id),
        duck,
        run.geocoders,
    )
    for stage in gold.stages:
        progress.advance(1)
        _done(progress, outcome, stage, "gold")
    outcome.details["geocoding"] = gold.geocode.to_dict()
    # Geocoders with a report of their own (the web geocoder: requests, chunks, reasons).
    reports = {g.method: getattr(g, "report", None) for g in run.geocoders}
    outcome.details["geocoders"] = {m: r.to_dict() for m, r in reports.items() if r is not None}
    outcome.details["gold_metrics"] = gold.gold.metrics
    return gold


def _publish(
    run: Run,
    run_id: str,
    manifest: Manifest,
    gold: GoldOutcome,
    publisher: Publisher,
    progress: PipelineProgress,
    outcome: _Outcome,
) -> None:
    gold_dir = run.zones.gold(run_id)
    outcome.details["data_version"] = publisher.data_version(manifest)
    started = time.perf_counter()
    gates = publisher.check(gold_dir, manifest, gold.gold.metrics)
    outcome.details["quality"] = gates.render()
    rows = sum(gates.table_rows.values())
    gates_stage = StageReport(
        "gates", "gold", rows, rows if gates.passed else 0, 0 if gates.passed else rows,
        seconds=time.perf_counter() - started,
    )  # fmt: skip
    _done(progress, outcome, gates_stage, "gates")
    if not gates.passed:
        outcome.status = "blocked"
        outcome.message = "Quality gates failed; nothing was loaded:\n  " + "\n  ".join(
            line for line in gates.render() if line.startswith("FAIL")
        )
        return
    progress.stage("load", 1)
    load = publisher.load(gold_dir, run_id, manifest, gates)
    progress.advance(1)
    _done(progress, outcome, load, "load")
    outcome.message = (
        f"Loaded into PostgreSQL as data_version {outcome.details['data_version'][:12]}…"
        if load.rows_out
        else "Nothing to load: this data_version is already the one served."
    )


def _done(progress: PipelineProgress, outcome: _Outcome, report: StageReport, stage: str) -> None:
    outcome.stages.append(report)
    outcome.stopped_after = stage
    progress.done(report)


def _unbalanced(outcome: _Outcome) -> bool:
    bad = [s for s in outcome.stages if not s.balanced]
    if bad:
        outcome.status = "failed"
        outcome.message = "Row accounting does not balance for: " + ", ".join(
            f"{s.stage}/{s.source} (in {s.rows_in}, out {s.rows_out}, rejected {s.rows_rejected})"
            for s in bad
        )
    return bool(bad)


def _report(
    run_id: str, outcome: _Outcome, started: float, status: str | None = None, message: str = ""
) -> RunReport:
    return RunReport(
        run_id=run_id,
        status=status or outcome.status,
        stages=tuple(outcome.stages),
        seconds=time.perf_counter() - started,
        stopped_after=outcome.stopped_after,
        message=message or outcome.message,
        details=dict(outcome.details),
    )


def check_headers(inputs: dict[SourceName, list[Path]]) -> None:
    """Every input file has its source's required columns, or the run stops before writing."""
    problems: list[str] = []
    for source, paths in inputs.items():
        spec = source_spec(source)
        for path in paths:
            match = match_header(spec, list(inspect_file(path).header))
            problems.extend(missing_columns(source, str(path), match))
    refuse_if_missing(problems)


def _finish(run: Run, report: RunReport, recorder: RunRecorder | None, error: str | None) -> None:
    path = run.zones.run_report(report.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    if recorder:
        recorder.finished(report, error)
