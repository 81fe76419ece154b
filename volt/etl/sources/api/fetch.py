"""fetch_to_bronze: probe every partition, skip the unchanged, resume the interrupted, fetch the
rest, then lay the run's bronze out of the store with its manifest.

The probe is cheap (dataset metadata once per dataset, a count per partition, or a conditional
GET for files); a complete partition with the same probe is reused without reading a row.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from volt.errors import VoltError
from volt.etl.manifest import Manifest
from volt.etl.reports import FileReport, StageReport
from volt.etl.sources.api import datafair, explore
from volt.etl.sources.api.ban_files import fetch_file, http_date_iso
from volt.etl.sources.api.datafair import PagerLimits
from volt.etl.sources.api.http import FetchError, FetchStats, HttpClient, run_sync
from volt.etl.sources.api.materialise import DonePartition, materialise
from volt.etl.sources.api.partitions import PartitionStore, now_iso
from volt.etl.sources.api.plan import PartitionRequest, resolve_select

# Partitions read at once. Each one pages sequentially (a cursor); a few at a time keep the
# hosts busy while HostPolicy's quota and concurrency still bound every host.
PARTITIONS_AT_ONCE = 4


class FetchProgress(Protocol):
    """Per-partition progress for the CLI: rows so far and rows expected (None: not known yet)."""

    def partition(self, label: str, rows: int, expected: int | None) -> None: ...


@dataclass(frozen=True)
class FetchSummary:
    fetched: int
    resumed: int
    skipped: int
    rows: int  # rows in this run's bronze
    rows_fetched: int  # rows downloaded by this run
    seconds: float
    http: dict[str, Any] = field(default_factory=dict)  # FetchStats of this run

    def to_dict(self) -> dict[str, Any]:
        return {
            "partitions": {"fetched": self.fetched, "resumed": self.resumed,
                           "skipped": self.skipped},
            "rows": self.rows,
            "rows_fetched": self.rows_fetched,
            "seconds": round(self.seconds, 3),
            **self.http,
        }  # fmt: skip


@dataclass(frozen=True)
class FetchOutcome:
    manifest: Manifest
    report: StageReport
    summary: FetchSummary
    partitions: tuple[DonePartition, ...]


def fetch_to_bronze(
    requests: Sequence[PartitionRequest],
    *,
    store: PartitionStore,
    bronze_dir: Path,
    run_id: str,
    client: HttpClient,
    progress: FetchProgress | None = None,
    limits: PagerLimits | None = None,
) -> FetchOutcome:
    """Bring every requested partition up to date in the store, then the run's bronze."""
    started = time.perf_counter()
    before = client.stats.to_dict()  # the client may have served other calls already
    with store.exclusive():
        done = run_sync(_fetch_all(requests, store, client, progress, limits or PagerLimits()))
        entries = materialise(done, bronze_dir)
    manifest = Manifest(run_id=run_id, origin="api", entries=tuple(entries))
    bronze_dir.mkdir(parents=True, exist_ok=True)
    manifest.write(bronze_dir)
    seconds = time.perf_counter() - started
    rows = sum(e.rows for e in entries)
    report = StageReport(
        stage="bronze", source="all", rows_in=rows, rows_out=rows, rows_rejected=0,
        seconds=seconds, files=tuple(FileReport(e.original_path, e.rows) for e in entries),
        outputs=(str(bronze_dir),),
    )  # fmt: skip
    summary = FetchSummary(
        fetched=sum(d.action == "fetched" for d in done),
        resumed=sum(d.action == "resumed" for d in done),
        skipped=sum(d.action == "skipped" for d in done),
        rows=rows,
        rows_fetched=sum(d.rows_fetched for d in done),
        seconds=seconds,
        http=_stats_delta(before, client.stats),
    )
    return FetchOutcome(manifest, report, summary, tuple(done))


async def _fetch_all(
    requests: Sequence[PartitionRequest],
    store: PartitionStore,
    client: HttpClient,
    progress: FetchProgress | None,
    limits: PagerLimits,
) -> list[DonePartition]:
    async with client:
        fetcher = _Fetcher(store, client, progress, limits)
        gate = asyncio.Semaphore(PARTITIONS_AT_ONCE)

        async def one(request: PartitionRequest) -> DonePartition:
            async with gate:
                return await fetcher.partition(request)

        # Every partition runs to its end or its error: the others keep their checkpoints.
        results = await asyncio.gather(*(one(r) for r in requests), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise _one_error(failures)
    return [r for r in results if isinstance(r, DonePartition)]


def _one_error(failures: list[BaseException]) -> BaseException:
    unexpected = [f for f in failures if not isinstance(f, VoltError)]
    if unexpected:
        return unexpected[0]
    if len(failures) == 1:
        return failures[0]
    lines = "\n  ".join(str(f).splitlines()[0] for f in failures)
    return FetchError(
        f"{len(failures)} partitions could not be fetched:\n  {lines}",
        hint="Rerun later: complete partitions and pages are kept, the run resumes there.",
    )


class _Fetcher:
    """Probes and fetches partitions; dataset metadata is asked once per dataset."""

    def __init__(
        self,
        store: PartitionStore,
        client: HttpClient,
        progress: FetchProgress | None,
        limits: PagerLimits,
    ) -> None:
        self.store, self.client, self.progress, self.limits = store, client, progress, limits
        self._meta: dict[str, asyncio.Task[dict[str, Any]]] = {}

    async def partition(self, request: PartitionRequest) -> DonePartition:
        if request.kind == "data-fair":
            return await self._data_fair(request)
        if request.kind == "explore":
            return await self._explore(request)
        return await self._file(request)

    def _metadata(
        self, url: str, fetch: Callable[[], Awaitable[dict[str, Any]]]
    ) -> asyncio.Task[dict[str, Any]]:
        if url not in self._meta:
            self._meta[url] = asyncio.ensure_future(fetch())
        return self._meta[url]

    def _report(self, label: str, rows: int, expected: int | None) -> None:
        if self.progress:
            self.progress.partition(label, rows, expected)

    async def _data_fair(self, request: PartitionRequest) -> DonePartition:
        headers = request.headers
        meta = await self._metadata(
            request.probe_url,
            lambda: self.client.fetch(
                "GET", request.probe_url, datafair.parse_dataset, headers=headers
            ),
        )
        schema = meta.get("schema")
        keys = [f["key"] for f in schema if isinstance(f, dict) and "key" in f] if schema else None
        select = resolve_select(request.columns, keys, blind=request.select_without_schema)
        wanted = replace(request.state, select=select)
        total = await datafair.partition_total(self.client, wanted, headers)
        probe = {"dataUpdatedAt": meta.get("dataUpdatedAt"), "count": meta["count"], "total": total}
        part = self.store.partition(request.pid)
        stored = part.load()
        usable = stored is not None and stored.same_request(wanted) and stored.probe == probe
        # A complete partition whose page files are all there is reused as is.
        if stored is not None and usable and stored.complete and len(part.pages()) == stored.pages:
            self._report(request.label, stored.rows, stored.expected_total)
            return DonePartition(request, part, stored, "skipped", _vintage(probe), 0)
        if stored is not None and usable and not stored.complete and stored.pages:
            # The restart budget is per run: a rerun after "source changed" may try again.
            state, action, already = replace(stored, restarts=0), "resumed", stored.rows
        else:
            fresh = replace(wanted, probe=probe, expected_total=total, started_at=now_iso())
            state, action, already = part.reset(fresh), "fetched", 0
        self._report(request.label, state.rows, state.expected_total)
        state = await datafair.fetch_lines(
            self.client, part, state, headers=headers, limits=self.limits,
            on_page=lambda s: self._report(request.label, s.rows, s.expected_total),
        )  # fmt: skip
        return DonePartition(request, part, state, action, _vintage(probe), state.rows - already)

    async def _explore(self, request: PartitionRequest) -> DonePartition:
        meta = await self._metadata(
            request.probe_url,
            lambda: self.client.fetch("GET", request.probe_url, explore.parse_catalog),
        )
        total = await explore.records_total(self.client, request.state)
        probe = {
            "modified": meta.get("modified"),
            "data_processed": meta.get("data_processed"),
            "total": total,
        }
        vintage = str(meta.get("data_processed") or meta.get("modified") or "")
        part = self.store.partition(request.pid)
        stored = part.load()
        if (
            stored is not None
            and stored.complete
            and stored.same_request(request.state)
            and stored.probe == probe
            and (part.path / explore.EXPORT_NAME).is_file()
        ):
            self._report(request.label, stored.rows, stored.expected_total)
            return DonePartition(request, part, stored, "skipped", vintage, 0)
        # One request per partition: an interrupted export is simply asked for again.
        fresh = replace(request.state, probe=probe, expected_total=total, started_at=now_iso())
        state = part.reset(fresh)
        self._report(request.label, 0, total)
        state = await explore.fetch_export(self.client, part, state, limits=self.limits)
        self._report(request.label, state.rows, state.expected_total)
        return DonePartition(request, part, state, "fetched", vintage, state.rows)

    async def _file(self, request: PartitionRequest) -> DonePartition:
        part = self.store.partition(request.pid)
        state, action = await fetch_file(self.client, part, request)
        self._report(request.label, state.rows, state.rows)
        vintage = http_date_iso(state.probe.get("last_modified")) or (state.completed_at or "")
        fetched = state.rows if action == "fetched" else 0
        return DonePartition(request, part, state, action, vintage, fetched)


def _vintage(probe: dict[str, Any]) -> str:
    return str(probe.get("dataUpdatedAt") or "")


def _stats_delta(before: dict[str, Any], after: FetchStats) -> dict[str, Any]:
    now = after.to_dict()
    reasons = {
        k: v - before["by_reason"].get(k, 0)
        for k, v in now["by_reason"].items()
        if v - before["by_reason"].get(k, 0)
    }
    delta = {k: now[k] - before[k] for k in ("requests", "retries", "throttled", "bytes")}
    return {
        **delta,
        "waited_s": round(now["waited_s"] - before["waited_s"], 3),
        "by_reason": reasons,
    }
