"""Enedis on Opendatasoft Explore v2.1: whole partitions through `/exports/csv`, counts checked.

Trap: `/records` silently stops at offset + limit = 10,000, so it is used only with `limit=0`
to read a partition's `total_count`; the rows come from the export, which has no cap.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

import httpx

from volt.etl.sources.api.datafair import IncompleteFetchError, PagerLimits, SourceChangedError
from volt.etl.sources.api.http import BadPayload, HttpClient
from volt.etl.sources.api.partitions import (
    PartitionDir,
    PartitionState,
    count_csv_records,
    fsync_file,
    now_iso,
)

EXPORT_NAME = "export.csv"
# The export's body is kept byte for byte: ask for it uncompressed on the wire so that the
# HTTP layer's raw stream is the CSV itself, not its gzip transfer encoding.
IDENTITY = {"Accept-Encoding": "identity"}


def where_clause(filters: Mapping[str, str], *, date_fields: Collection[str] = ()) -> str:
    """`annee=date'2023' and code_departement='69'` from {"annee": "2023", "code_departement": …}.

    Trap: the year is a date field in Opendatasoft (`annee='2023'` matches nothing), hence
    `date'…'` for the `date_fields`.
    """
    terms = []
    for name, value in filters.items():
        quoted = value.replace("'", "\\'")
        terms.append(f"{name}=date'{quoted}'" if name in date_fields else f"{name}='{quoted}'")
    return " and ".join(terms)


def parse_records_count(response: httpx.Response) -> int:
    body = response.json()
    count = body.get("total_count") if isinstance(body, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise BadPayload(f"an Explore /records answer without total_count: {str(body)[:200]}")
    return count


def parse_catalog(response: httpx.Response) -> dict[str, Any]:
    """An Explore catalog entry's `metas.default` (modified, data_processed, records_count)."""
    body = response.json()
    metas = body.get("metas") if isinstance(body, dict) else None
    default = metas.get("default") if isinstance(metas, dict) else None
    if not isinstance(default, dict):
        raise BadPayload("an Explore catalog answer has metas.default")
    return default


async def records_total(client: HttpClient, state: PartitionState) -> int:
    """The partition's `total_count` (`/records?limit=0`): the probe and the export's check."""
    params = {"limit": "0", "where": state.filters["where"]}
    url = state.url.removesuffix("/exports/csv") + "/records"
    return await client.fetch("GET", url, parse_records_count, params=params)


async def fetch_export(
    client: HttpClient, part: PartitionDir, state: PartitionState, *, limits: PagerLimits
) -> PartitionState:
    """Download the partition's CSV export and check its record count against `total_count`."""
    while True:
        target = part.path / EXPORT_NAME
        url = str(httpx.URL(state.url, params=state.filters))
        await client.download(url, target, headers=IDENTITY)
        fsync_file(target)  # the state below must never count a file still in the page cache
        rows = count_csv_records(target)
        if rows == state.expected_total:
            done = replace(state, pages=1, rows=rows, completed_at=now_iso())
            part.save(done)
            return done
        total = await records_total(client, state)
        if total == state.expected_total or state.restarts >= limits.max_restarts:
            error = SourceChangedError if total != state.expected_total else IncompleteFetchError
            raise error(
                f"{url}: the export has {rows} rows, /records says {state.expected_total} "
                f"(now {total}).",
                hint="The export was cut short or the dataset is being republished; rerun "
                "later. If it persists, read Enedis through data-fair (VOLT_ENEDIS_API).",
            )
        # Trap: the dataset was republished between the count and the export: once more.
        state = part.reset(
            replace(state, expected_total=total, restarts=state.restarts + 1, started_at=now_iso())
        )
