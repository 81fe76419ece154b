"""The files adapter: an input directory (enedis/, dpe/, ban/) copied to bronze with a manifest."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from volt.domain.codes import normalise_departement
from volt.errors import UsageError
from volt.etl.manifest import Manifest, ManifestEntry
from volt.etl.reports import FileReport, StageReport
from volt.etl.sources.registry import SOURCES, SourceName, source_spec
from volt.etl.textfiles import RecordCounter, file_format, iter_chunks

BAN_FILE_DEPARTEMENT = re.compile(r"adresses-([0-9]{2,3}|2[AaBb])\.csv", re.IGNORECASE)

Progress = Callable[[int], None]  # called with bytes copied since the last call
COPY_WORKERS = 2  # the machines volt targets have few cores; more threads only add contention


def discover_inputs(
    input_dir: Path, departement: str | None = None
) -> dict[SourceName, list[Path]]:
    """Input files per source, by the registry's globs; BAN files narrowed by département."""
    if not input_dir.is_dir():
        raise UsageError(
            f"Input directory {input_dir} does not exist.",
            hint="Pass a directory with enedis/, dpe/ and ban/ subfolders "
            "(`volt sample generate DIR` makes one).",
        )
    found: dict[SourceName, list[Path]] = {}
    for source in SOURCES:
        paths: set[Path] = set()
        for pattern in source_spec(source).input_globs:
            paths.update(p for p in input_dir.glob(pattern) if p.is_file())
        if source == "ban" and departement is not None:
            paths = {p for p in paths if _ban_file_departement(p) in (None, departement)}
        found[source] = sorted(paths)
    if not any(found.values()):
        raise UsageError(
            f"No input files in {input_dir}.",
            hint="Expected enedis/*.csv, dpe/*.csv or dpe/*.jsonl, ban/adresses-<dep>.csv.",
        )
    return found


def _ban_file_departement(path: Path) -> str | None:
    match = BAN_FILE_DEPARTEMENT.fullmatch(path.name.removesuffix(".gz"))
    return normalise_departement(match.group(1)) if match else None


def copy_to_bronze(
    inputs: dict[SourceName, list[Path]],
    bronze_dir: Path,
    run_id: str,
    on_bytes: Progress | None = None,
) -> tuple[Manifest, StageReport]:
    """Copy every input file as received, hashing and counting records in the same pass."""
    started = time.perf_counter()
    jobs: list[tuple[str, Path]] = []
    for source, paths in inputs.items():
        (bronze_dir / source).mkdir(parents=True, exist_ok=True)
        jobs.extend((source, path) for path in paths)

    def copy(job: tuple[str, Path]) -> ManifestEntry:
        source, path = job
        return _copy_one(source, path, bronze_dir / source, bronze_dir, on_bytes)

    # hashlib and numpy release the GIL on large buffers: two files at a time use both cores.
    with ThreadPoolExecutor(max_workers=COPY_WORKERS) as pool:
        entries = list(pool.map(copy, jobs))
    manifest = Manifest(run_id=run_id, origin="files", entries=tuple(entries))
    manifest.write(bronze_dir)
    rows = sum(e.rows for e in entries)
    report = StageReport(
        stage="bronze",
        source="all",
        rows_in=rows,
        rows_out=rows,
        rows_rejected=0,
        seconds=time.perf_counter() - started,
        files=tuple(FileReport(e.original_path, e.rows) for e in entries),
        outputs=(str(bronze_dir),),
    )
    return manifest, report


def _copy_one(
    source: str, path: Path, target_dir: Path, bronze_dir: Path, on_bytes: Progress | None
) -> ManifestEntry:
    fmt = file_format(path)
    digest = hashlib.sha256()
    counter = RecordCounter(fmt)
    size = 0
    target = target_dir / path.name
    compressed = path.name.lower().endswith(".gz")
    raw_reader = path.open("rb")
    with raw_reader, target.open("wb") as out:
        # Hash and copy the bytes as received (even gzip), count records on the decoded text.
        while chunk := raw_reader.read(8 * 1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
            if not compressed:
                counter.feed(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    if compressed:
        for text_chunk in iter_chunks(target):
            counter.feed(text_chunk)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return ManifestEntry(
        source=source,
        path=str(target.relative_to(bronze_dir)),
        original_path=str(path),
        sha256=digest.hexdigest(),
        bytes=size,
        rows=counter.records(has_header=fmt == "csv"),
        format=fmt,
        vintage=mtime.date().isoformat(),
        received_at=datetime.now(tz=UTC).isoformat(timespec="seconds"),
    )
