"""BAN national files `adresses-<dép>.csv.gz` into the store, with a conditional GET.

The stored file's ETag / Last-Modified go back as If-None-Match / If-Modified-Since: a 304 keeps
the stored file (the probe and the fetch are one request); a 200 replaces it.
"""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

from volt.etl.sources.api.config import ApiConfig
from volt.etl.sources.api.http import BadPayload, FetchError, HttpClient
from volt.etl.sources.api.partitions import (
    PartitionDir,
    PartitionId,
    PartitionState,
    fsync_file,
    now_iso,
)
from volt.etl.sources.api.plan import PartitionRequest, departements_in_scope
from volt.etl.sources.registry import source_spec
from volt.etl.textfiles import RecordCounter

# Trap: a server may gzip a .gz again on the wire; the raw stream must be the file itself.
IDENTITY = {"Accept-Encoding": "identity"}
READ_CHUNK = 8 * 1024 * 1024
FileAction = Literal["fetched", "skipped"]


def ban_file_name(departement: str) -> str:
    return f"adresses-{departement}.csv.gz"


async def fetch_file(
    client: HttpClient, part: PartitionDir, request: PartitionRequest
) -> tuple[PartitionState, FileAction]:
    """Fetch or keep one file; the state's probe holds the ETag and Last-Modified it came with."""
    name = request.state.filters["file"]
    target = part.path / name
    stored = part.load()
    headers = dict(IDENTITY)
    if stored and stored.complete and stored.same_request(request.state) and target.is_file():
        if stored.probe.get("etag"):
            headers["If-None-Match"] = stored.probe["etag"]
        if stored.probe.get("last_modified"):
            headers["If-Modified-Since"] = stored.probe["last_modified"]
    part.path.mkdir(parents=True, exist_ok=True)
    incoming = part.path / (name + ".tmp")
    counted: list[int] = []

    def check(path: Path) -> None:
        # Trap: a 200 that is not the gzip (a maintenance page, a cut stream) must be retried,
        # not stored; reading it whole is the check, and gives the row count.
        try:
            counted.append(_gzip_csv_records(path))
        except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
            raise BadPayload(f"{name} is not a complete gzip file: {exc}") from exc

    response = await client.download(
        request.state.url, incoming, headers=headers, ok_statuses=(200, 304), check=check
    )
    if response.status_code == 304:
        if stored is None:
            raise FetchError(
                f"{request.state.url} answered 304 Not Modified to an unconditional request.",
                hint="The server (or a proxy) is misbehaving; rerun later.",
            )
        return stored, "skipped"
    probe = {
        "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
    }
    started = replace(request.state, probe=probe, started_at=now_iso())
    part.save(started)  # not complete until the new file is in place and counted
    incoming.replace(target)
    fsync_file(target)
    done = replace(started, pages=1, rows=counted[-1], completed_at=now_iso())
    part.save(done)
    return done, "fetched"


def _gzip_csv_records(path: Path) -> int:
    """Data records of a gzip CSV whatever the file's name (the download's is `….partial`)."""
    counter = RecordCounter("csv")
    with gzip.open(path, "rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            counter.feed(chunk)
    return counter.records(has_header=True)


def http_date_iso(value: str | None) -> str:
    """`Last-Modified` (an HTTP date) as ISO 8601, comparable with the other vintages."""
    if not value:
        return ""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def ban_file_requests(config: ApiConfig, *, departement: str | None) -> list[PartitionRequest]:
    """One file per département (all of them without one)."""
    path = str(source_spec("ban").settings["files_path"])
    requests = []
    for dep in departements_in_scope(departement):
        name = ban_file_name(dep)
        url = f"{config.ban_files_root}{path}/{name}"
        state = PartitionState(api="file", dataset="adresses", url=url, filters={"file": name})
        requests.append(
            PartitionRequest(
                pid=PartitionId("ban", "adresses", f"dep-{dep}"),
                kind="file",
                state=state,
                probe_url=url,
                bronze_name=name.removesuffix(".csv.gz"),
            )
        )
    return requests
