"""A run's bronze directory from complete store partitions, and its manifest entries.

Pages of a data-fair partition become one JSON-lines file (silver then reads one file per
partition, not thousands of pages); exports and BAN files are hard-linked (copied across
devices). Names are `<source>/<dataset>--<key>.<ext>`: they sort the same on every run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx

from volt.etl.manifest import ManifestEntry
from volt.etl.sources.api.http import FetchError
from volt.etl.sources.api.partitions import PartitionDir, PartitionState
from volt.etl.sources.api.plan import PartitionRequest

HASH_CHUNK = 8 * 1024 * 1024  # the files adapter's read size: flat memory, few calls
EXPORT_NAME = "export.csv"


@dataclass(frozen=True)
class DonePartition:
    """One complete partition of this run and what was done for it."""

    request: PartitionRequest
    part: PartitionDir
    state: PartitionState
    action: str  # fetched | resumed | skipped
    vintage: str
    rows_fetched: int  # rows downloaded by this run (0 when skipped)


def materialise(done: list[DonePartition], bronze_dir: Path) -> list[ManifestEntry]:
    """Place every non-empty partition in the run's bronze; one manifest entry each."""
    entries = []
    for item in sorted(done, key=lambda d: d.request.label):
        if item.state.rows == 0:
            continue  # an empty partition has no file: silver refuses empty inputs
        req = item.request
        target_dir = bronze_dir / req.pid.source
        target_dir.mkdir(parents=True, exist_ok=True)
        if req.kind == "data-fair":
            target = target_dir / f"{req.bronze_name}.jsonl"
            digest, size = _concatenate(item, target)
            fmt = "jsonl"
        else:
            name = EXPORT_NAME if req.kind == "explore" else item.state.filters["file"]
            ext = ".csv" if req.kind == "explore" else ".csv.gz"
            target = target_dir / f"{req.bronze_name}{ext}"
            _link(item.part.path / name, target)
            digest, size = _hash(target)
            fmt = "csv"
        entries.append(
            ManifestEntry(
                source=req.pid.source,
                path=str(target.relative_to(bronze_dir)),
                original_path=original_url(item.state),
                sha256=digest,
                bytes=size,
                rows=item.state.rows,
                format=fmt,
                vintage=item.vintage,
                received_at=item.state.completed_at or "",
            )
        )
    return entries


def original_url(state: PartitionState) -> str:
    """Where the rows came from: the URL with the partition's filters (columns: in state.json)."""
    if state.api == "file":
        return state.url
    return str(httpx.URL(state.url, params=state.filters))


def _concatenate(item: DonePartition, target: Path) -> tuple[str, int]:
    digest, size, lines = hashlib.sha256(), 0, 0
    pages = item.part.pages()
    if len(pages) != item.state.pages:
        _corrupt(item, f"{len(pages)} page files for {item.state.pages} pages")
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("wb") as out:
        for page in pages:
            body = page.read_bytes()
            digest.update(body)
            out.write(body)
            size += len(body)
            lines += body.count(b"\n")
    if lines != item.state.rows:
        tmp.unlink()
        _corrupt(item, f"{lines} lines for {item.state.rows} rows")
    tmp.replace(target)
    return digest.hexdigest(), size


def _corrupt(item: DonePartition, what: str) -> None:
    raise FetchError(
        f"The stored partition {item.request.label} is inconsistent ({what}).",
        hint=f"Delete {item.part.path} and rerun: it will be fetched again.",
    )


def _link(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not supported: a copy is as good
        shutil.copyfile(source, target)


def _hash(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
