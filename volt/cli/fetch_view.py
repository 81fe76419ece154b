"""What `volt etl run --source api` shows: a bar per partition (rows fetched / expected, rate,
ETA), then the fetch summary (partitions fetched, resumed, skipped; retries and throttling)."""

from __future__ import annotations

from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from volt.cli.common import console


class RowsPerSecondColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="progress.data.speed")


def short(label: str) -> str:
    """`enedis/consommation-annuelle-…/annee-2023_dep-06` → `enedis annee-2023_dep-06`: the
    dataset ids are long and one per source; the legacy DPE dataset keeps a mark."""
    source, dataset, *rest = label.split("/")
    legacy = " (legacy)" if dataset.startswith("dpe-v2") else ""
    return f"{source}{legacy} {'/'.join(rest)}"


def fetch_columns() -> tuple[ProgressColumn, ...]:
    return (
        TextColumn("[bold]{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecondColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


class RichFetchProgress:
    """volt.etl.sources.api.fetch.FetchProgress: one bar per partition, created on first news."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def partition(self, label: str, rows: int, expected: int | None) -> None:
        task = self._tasks.get(label)
        if task is None:
            task = self._tasks[label] = self._progress.add_task(short(label), total=expected)
        self._progress.update(task, completed=rows, total=expected)


def print_fetch(details: dict[str, Any]) -> None:
    fetch = details.get("fetch")
    if not fetch:
        return
    parts = fetch["partitions"]
    console.print(
        f"  [green]✓[/] fetch: {parts['fetched']} partition(s) fetched, {parts['resumed']} "
        f"resumed, {parts['skipped']} unchanged and reused; {fetch['rows_fetched']:,} rows "
        f"downloaded, {fetch['rows']:,} in bronze ({fetch['seconds']:.1f} s)"
    )
    reasons = ", ".join(f"{n} × {r}" for r, n in fetch.get("by_reason", {}).items())
    console.print(
        f"    {fetch.get('requests', 0):,} requests, {fetch.get('retries', 0)} retries"
        + (f" ({reasons})" if reasons else "")
        + f", {fetch.get('throttled', 0)} throttled (429), "
        f"{fetch.get('waited_s', 0):.1f} s waiting for quotas or backoffs, "
        f"{fetch.get('bytes', 0) / 1e6:,.1f} MB"
    )
    web = details.get("geocoders", {}).get("ban_web")
    if web:
        console.print(
            f"  [green]✓[/] BAN web geocoder: {web['rows_pending']:,} addresses left by the "
            f"national file, {web['matched']:,} matched, {web['ambiguous']:,} ambiguous; "
            f"{web['chunks']} chunk(s) ({web['chunks_reused']} reused from earlier answers, "
            f"{web['chunks_fallback']} through the fallback host), {web['requests']} requests"
        )
