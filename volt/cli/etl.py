"""`volt etl …`: run the pipeline and show what each stage did."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from volt.cli.common import console, handle_errors, settings_from_env
from volt.cli.fetch_view import RichFetchProgress, fetch_columns, print_fetch
from volt.config import Settings
from volt.errors import UsageError
from volt.etl.load import PostgresRunRecorder, list_runs
from volt.etl.pipeline import (
    PIPELINE_VERSION,
    ApiRun,
    FilesRun,
    StopAfter,
    run_etl,
    validate_scope,
)
from volt.etl.publish import PostgresPublisher
from volt.etl.reports import RunReport, StageReport
from volt.etl.sources.api.config import ApiConfig
from volt.etl.sources.api.source import ApiSource
from volt.etl.transforms.duck import DuckConfig
from volt.etl.zones import Zones

app = typer.Typer(
    help="Run the ETL (bronze → silver …) and inspect its runs.", no_args_is_help=True
)


class SourceKind(StrEnum):
    FILES = "files"
    API = "api"


class StopStage(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    LOAD = "load"


class CountOrBytesColumn(ProgressColumn):
    """Bytes for tasks that copy files, `done/total` for the others."""

    def __init__(self) -> None:
        super().__init__()
        self._bytes, self._count = DownloadColumn(), MofNCompleteColumn()

    def render(self, task: Task) -> Text:
        column = self._bytes if task.fields.get("unit") == "bytes" else self._count
        rendered = column.render(task)
        return rendered if isinstance(rendered, Text) else Text(str(rendered))


class RichPipelineProgress:
    """One progress bar per stage: bytes for bronze, sources for silver."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def stage(self, name: str, total: int | None) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        unit = "bytes" if name == "bronze" else "sources"
        self._task = self._progress.add_task(name, total=total, unit=unit)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def done(self, report: StageReport) -> None:
        self.print_done(report)

    @staticmethod
    def print_done(report: StageReport) -> None:
        console.print(
            f"  [green]✓[/] {report.stage}/{report.source}: {report.rows_in:,} rows in, "
            f"{report.rows_out:,} out, {report.rows_rejected:,} rejected "
            f"({report.seconds:.2f} s)"
        )


def run_pipeline(
    settings: Settings,
    input_dir: Path,
    year: int | None,
    dep: str | None,
    stop_after: StopAfter = "load",
) -> RunReport:
    """Shared by `volt etl run` and `volt demo`."""
    year, dep = validate_scope(year, dep)
    run = FilesRun(
        input_dir=input_dir,
        zones=Zones.from_url(settings.zones_location),
        duck=DuckConfig(settings.duckdb_memory_limit, settings.duckdb_threads),
        year=year,
        departement=dep,
        stop_after=stop_after,
    )
    columns = (
        TextColumn("[bold]{task.description:<8}"),
        BarColumn(),
        CountOrBytesColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        report = run_etl(
            run,
            RichPipelineProgress(progress),
            PostgresRunRecorder(settings),
            publisher=PostgresPublisher(settings, PIPELINE_VERSION),
        )
    return report


def run_api_pipeline(
    settings: Settings, year: int | None, dep: str | None, stop_after: StopAfter = "load"
) -> RunReport:
    """`volt etl run --source api`: the public APIs (or their VOLT_*_API_URL stand-ins) → bronze,
    then the same stages as for files, the BAN web geocoder after the national file."""
    year, dep = validate_scope(year, dep)
    zones = Zones.from_url(settings.zones_location)
    with Progress(*fetch_columns(), console=console, transient=False) as bars:
        source = ApiSource(
            ApiConfig.from_settings(settings), zones, year, dep, RichFetchProgress(bars)
        )
        geocoder = source.geocoder()
        run = ApiRun(
            fetcher=source,
            zones=zones,
            duck=DuckConfig(settings.duckdb_memory_limit, settings.duckdb_threads),
            year=year,
            departement=dep,
            stop_after=stop_after,
            geocoders=(geocoder,),
        )
        return run_etl(
            run,
            _QuietProgress(),
            PostgresRunRecorder(settings),
            publisher=PostgresPublisher(settings, f"{PIPELINE_VERSION} {geocoder.signature}"),
        )


class _QuietProgress:
    """Stages after the fetch print one line each; the fetch has its own bars."""

    def stage(self, name: str, total: int | None) -> None:
        console.print(f"  [dim]… {name}[/]")

    def advance(self, amount: int) -> None:
        return None

    def done(self, report: StageReport) -> None:
        RichPipelineProgress.print_done(report)


@app.command("run")
@handle_errors
def run(
    source: SourceKind = typer.Option(SourceKind.FILES, help="Where the data comes from."),
    input_dir: Path | None = typer.Option(
        None, "--input", "-i", help="Input directory with enedis/, dpe/, ban/ (files source)."
    ),
    year: int | None = typer.Option(None, help="Only this Enedis year."),
    departement: str | None = typer.Option(
        None, help="Only this département (e.g. 06, 2A); with --source api, what is fetched."
    ),
    stop_after: StopStage = typer.Option(
        StopStage.LOAD,
        help="Last stage to run (bronze: fetch only; silver and gold need no database).",
    ),
) -> None:
    """Run the pipeline: input files or the public APIs → bronze → silver → gold → quality
    gates → PostgreSQL. With --source api, an interrupted fetch resumes where it stopped and
    partitions unchanged at the source since the last fetch are reused."""
    settings = settings_from_env()
    if source is SourceKind.API:
        if input_dir is not None:
            raise UsageError("--input is for --source files; --source api fetches its data.")
        if departement is None:
            console.print(
                "[yellow]No --departement: fetching every département (≈ 15 M DPE, every BAN "
                "file). Interrupt at will: the next run resumes.[/]"
            )
        report = run_api_pipeline(settings, year, departement, stop_after.value)
    else:
        if input_dir is None:
            raise UsageError(
                "--input DIR is required with --source files.",
                hint="Or fetch from the public APIs: --source api --departement 69 --year 2023.",
            )
        report = run_pipeline(settings, input_dir, year, departement, stop_after.value)
    print_run(report, Zones.from_url(settings.zones_location))
    if report.status != "succeeded":
        raise typer.Exit(1)


def _print_ignored_columns(stage: StageReport) -> None:
    """Unknown columns are ignored and reported, once per distinct set of columns."""
    by_set: dict[tuple[str, ...], list[str]] = {}
    for f in stage.files:
        if f.extra_columns:
            by_set.setdefault(f.extra_columns, []).append(Path(f.path).name)
    for columns, files in by_set.items():
        shown = ", ".join(columns[:4]) + (", …" if len(columns) > 4 else "")
        where = files[0] if len(files) == 1 else f"{len(files)} files"
        console.print(
            f"  [dim]{stage.source}: {len(columns)} column(s) not used by volt, ignored "
            f"({where}): {shown}[/]"
        )


def _print_geocoding(report: RunReport) -> None:
    """Enedis → BAN match rate per département (the first thing to check on a new input)."""
    geo = report.details.get("geocoding")
    if not geo:
        return
    table = Table(title=f"Geocoding Enedis → BAN: {geo['match_rate']:.1%} matched")
    for col in ("département", "rows", "matched", "ambiguous", "not found", "rate"):
        table.add_column(col, justify="left" if col == "département" else "right")
    for dep in geo["by_departement"]:
        rate = dep["matched"] / dep["rows"] if dep["rows"] else 0.0
        table.add_row(
            dep["code_departement"],
            f"{dep['rows']:,}",
            f"{dep['matched']:,}",
            f"{dep['ambiguous']:,}",
            f"{dep['not_found']:,}",
            f"{rate:.1%}",
        )
    console.print(table)


def print_run(report: RunReport, zones: Zones) -> None:
    table = Table(title=f"ETL run {report.run_id} — {report.status}")
    for col in ("stage", "source", "in", "out", "rejected", "flagged", "skipped", "time", "rows/s"):
        table.add_column(col, justify="left" if col in ("stage", "source") else "right")
    for s in report.stages:
        table.add_row(
            s.stage,
            s.source,
            f"{s.rows_in:,}",
            f"{s.rows_out:,}",
            f"{s.rows_rejected:,}",
            f"{s.rows_flagged:,}",
            f"{s.rows_out_of_scope:,}",
            f"{s.seconds:.2f} s",
            f"{s.rows_per_second:,.0f}",
        )
    console.print(table)
    for s in report.stages:
        for reason, n in list(s.reject_reasons.items())[:8]:
            console.print(f"  [yellow]rejected[/] {s.source}: {n:,} × {reason}")
        _print_ignored_columns(s)
    if any(s.rows_out_of_scope for s in report.stages):
        console.print("  [dim]skipped = rows outside --year/--departement[/]")
    print_fetch(report.details)
    _print_geocoding(report)
    for line in report.details.get("quality", []):
        style = "green" if line.startswith("PASS") else "bold red"
        console.print(f"  [{style}]{line}[/]")
    if report.stopped_after == "bronze":
        console.print(f"Bronze: {zones.bronze(report.run_id)}")
    else:
        console.print(f"Silver: {zones.silver(report.run_id)}  (rejects in _rejects/)")
    if report.stopped_after in ("gold", "gates", "load"):
        console.print(f"Gold:   {zones.gold(report.run_id)}")
    console.print(f"Report: {zones.run_report(report.run_id)}  total {report.seconds:.2f} s")
    if report.message:
        style = "yellow" if report.status == "succeeded" else "bold red"
        console.print(f"[{style}]{report.message}[/]")


@app.command("runs")
@handle_errors
def runs(limit: int = typer.Option(20, min=1, max=500, help="How many recent runs.")) -> None:
    """List recent ETL runs recorded in PostgreSQL."""
    settings = settings_from_env()
    table = Table(title="ETL runs")
    for col in ("run", "source", "status", "started", "seconds", "rows in", "rejected"):
        right = col in ("seconds", "rows in", "rejected")
        table.add_column(
            col, no_wrap=col in ("run", "started"), justify="right" if right else "left"
        )
    for r in list_runs(settings, limit):
        stages = r["stages"] if isinstance(r["stages"], list) else []
        silver = [s for s in stages if s.get("stage") == "silver"]
        started, finished = r["started_at"], r["finished_at"]
        seconds = (
            f"{(finished - started).total_seconds():.1f}"  # type: ignore[operator]
            if finished
            else "…"
        )
        table.add_row(
            str(r["id"]),
            str(r["source"]),
            str(r["status"]),
            f"{started:%Y-%m-%d %H:%M:%S}",
            seconds,
            f"{sum(s['rows_in'] for s in silver):,}",
            f"{sum(s['rows_rejected'] for s in silver):,}",
        )
    console.print(table)
