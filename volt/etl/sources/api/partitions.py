"""The partition store: one directory per fetched partition, its pages and its checkpoint.

`<root>/<source>/<dataset>/<key>/` holds `state.json` (what was asked, how far the fetch got, the
source's probe) and numbered page files, or one data file (a CSV export, a BAN file). A partition
is complete only when its state says so; this directory is the checkpointed part of the bronze
manifest, so a killed run resumes from the last page whose state was written.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from volt.errors import UsageError
from volt.etl.textfiles import RecordCounter, iter_chunks

STATE_NAME = "state.json"
LOCK_NAME = ".lock"
PAGE_PATTERN = re.compile(r"page-(\d{5,})\.jsonl")
# data-fair adds these per answer (search score, random sort key): they change between two
# identical requests, so keeping them would make a resumed fetch differ from a clean one.
VOLATILE_KEYS = frozenset({"_score", "_rand"})
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class PartitionId:
    """Where a partition lives in the store: `<source>/<dataset>/<key>`."""

    source: str  # enedis | dpe | ban
    dataset: str
    key: str  # e.g. `annee-2023_dep-69`; letters, digits, `_.-` only (a file name everywhere)

    def __post_init__(self) -> None:
        for part in (self.source, self.dataset, self.key):
            if not part or _KEY_CHARS.search(part) or part in (".", ".."):
                raise ValueError(f"unsafe partition path component: {part!r}")

    @property
    def label(self) -> str:
        return f"{self.source}/{self.dataset}/{self.key}"

    @property
    def relative(self) -> Path:
        return Path(self.source, self.dataset, self.key)


@dataclass(frozen=True)
class PartitionState:
    """The checkpoint of one partition, as written to `state.json`."""

    api: str  # data-fair | explore | file
    dataset: str
    url: str  # lines / export / file URL, without paging parameters
    filters: dict[str, str] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    page_size: int = 0
    expected_total: int | None = None
    cursor: str | None = None  # data-fair `after` of the next page
    next_url: str | None = None  # data-fair `next` as the API gave it
    pages: int = 0
    rows: int = 0
    probe: dict[str, Any] = field(default_factory=dict)  # dataUpdatedAt/count/total or ETag…
    restarts: int = 0
    started_at: str = ""
    completed_at: str | None = None

    @property
    def complete(self) -> bool:
        return self.completed_at is not None

    def same_request(self, other: PartitionState) -> bool:
        """Same API, dataset, URL, filters, columns and page size: its pages can be reused."""
        return _request(self) == _request(other)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["select"] = list(self.select)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PartitionState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["select"] = tuple(known.get("select", ()))
        return cls(**known)


def _request(state: PartitionState) -> tuple[object, ...]:
    filters = tuple(sorted(state.filters.items()))
    return (state.api, state.dataset, state.url, filters, state.select, state.page_size)


def now_iso() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="seconds")


def serialise_rows(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """One JSON object per line, keys in the API's order, volatile keys dropped.

    Deterministic: the same rows give the same bytes, so a resumed fetch equals a clean one.
    """
    lines = [
        json.dumps(
            {k: v for k, v in row.items() if k not in VOLATILE_KEYS},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for row in rows
    ]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


class PartitionDir:
    """One partition's directory: read the checkpoint, reset it, append pages atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def state_path(self) -> Path:
        return self.path / STATE_NAME

    def page_path(self, number: int) -> Path:
        return self.path / f"page-{number:05d}.jsonl"

    def load(self) -> PartitionState | None:
        """The checkpoint, after dropping what a crash left beyond it (tmp files, extra pages)."""
        if not self.state_path.is_file():
            return None
        state = PartitionState.from_json(json.loads(self.state_path.read_text("utf-8")))
        for pattern in ("*.tmp", "*.partial"):
            for leftover in self.path.glob(pattern):
                leftover.unlink()
        # A page renamed into place whose state was not yet written is refetched.
        for number, page in self._numbered_pages():
            if number > state.pages:
                page.unlink()
        return state

    def reset(self, state: PartitionState) -> PartitionState:
        """Start the partition from scratch: no pages, no data file, the given state."""
        self.path.mkdir(parents=True, exist_ok=True)
        # The new state first: killed mid-way, `load` finds a state of 0 pages and drops the
        # rest; deleting first would leave the old state counting pages that are gone.
        self.save(state)
        for child in self.path.iterdir():
            if child.is_file() and child.name != STATE_NAME:
                child.unlink()
        return state

    def commit_page(
        self,
        state: PartitionState,
        body: bytes,
        rows: int,
        *,
        cursor: str | None,
        next_url: str | None,
    ) -> PartitionState:
        """Write page `state.pages + 1`, then the state that counts it (crash-safe order)."""
        number = state.pages + 1
        write_atomic(self.page_path(number), body)
        new = replace(
            state,
            pages=number,
            rows=state.rows + rows,
            cursor=cursor,
            next_url=next_url,
        )
        self.save(new)
        return new

    def save(self, state: PartitionState) -> None:
        text = json.dumps(state.to_json(), indent=2, ensure_ascii=False, sort_keys=True)
        write_atomic(self.state_path, (text + "\n").encode("utf-8"))

    def pages(self) -> list[Path]:
        return [page for _, page in self._numbered_pages()]

    def _numbered_pages(self) -> list[tuple[int, Path]]:
        found = []
        for child in self.path.glob("page-*.jsonl"):
            match = PAGE_PATTERN.fullmatch(child.name)
            if match:
                found.append((int(match.group(1)), child))
        return sorted(found)


class PartitionStore:
    """All partitions under one root (`<zones root>/bronze/_api`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def partition(self, pid: PartitionId) -> PartitionDir:
        return PartitionDir(self.root / pid.relative)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held for a whole fetch: two fetches on one store would delete each other's pages
        and temporary files (a cron run meeting a manual one)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK_NAME).open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UsageError(
                    f"Another fetch is using {self.root}.",
                    hint="Wait for it to finish (the lock is released when it ends, even if "
                    "killed), then run again: unchanged partitions are reused.",
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, body: bytes) -> None:
    """tmp file + fsync + rename: a reader (or a resumed run) sees the old or the new file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)


def count_csv_records(path: Path) -> int:
    """Data records of a stored CSV (gzip or not), newlines inside quotes not counted."""
    counter = RecordCounter("csv")
    for chunk in iter_chunks(path):
        counter.feed(chunk)
    return counter.records(has_header=True)


def fsync_file(path: Path) -> None:
    """Flush a file written by someone else (the HTTP layer's download) and its rename."""
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    # The rename itself must survive a power cut, not only the file's bytes.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
