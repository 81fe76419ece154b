"""A data-fair `/lines` pager into the partition store: `after` cursor, counts checked.

Transport faults (429, 5xx, timeouts, truncated bodies) are retried by the HTTP layer; here are
the faults only the content shows: a `total` that moves during the fetch, an empty page before
the end, a final count that is not the `total`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from volt.etl.sources.api.http import BadPayload, FetchError, HttpClient
from volt.etl.sources.api.partitions import (
    PartitionDir,
    PartitionState,
    now_iso,
    serialise_rows,
)

PageCallback = Callable[[PartitionState], None]


class SourceChangedError(FetchError):
    """The source's content changed while a partition was being read, more often than allowed."""


class IncompleteFetchError(FetchError):
    """The API stopped giving rows before its own `total` was reached."""


@dataclass(frozen=True)
class PagerLimits:
    """Patience with content faults (transport faults are HostPolicy's business)."""

    # A dataset republished during a long fetch is normal (ADEME updates daily); twice more is
    # a source being rewritten under us, and waiting will not help.
    max_restarts: int = 2
    # data-fair's index can answer an empty page for a moment while it refreshes.
    empty_page_retries: int = 3
    empty_page_wait_s: float = 2.0


@dataclass(frozen=True)
class LinesPage:
    total: int
    rows: list[dict[str, Any]]
    next_url: str | None
    after: str | None  # the `after` parameter of `next`, when it has one


def parse_lines(response: httpx.Response) -> LinesPage:
    """A `/lines` answer, or BadPayload (retried) when the body is not its JSON shape."""
    body = response.json()
    if not isinstance(body, dict):
        raise BadPayload("a /lines answer is a JSON object")
    total, rows, next_url = body.get("total"), body.get("results"), body.get("next")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise BadPayload(f"/lines answer without a valid total: {total!r}")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BadPayload("/lines answer whose results are not a list of objects")
    if next_url is not None and not isinstance(next_url, str):
        raise BadPayload(f"/lines answer with a non-text next: {next_url!r}")
    after = parse_qs(urlsplit(next_url).query).get("after", [None])[-1] if next_url else None
    return LinesPage(total=total, rows=rows, next_url=next_url, after=after)


def parse_dataset(response: httpx.Response) -> dict[str, Any]:
    """A dataset's metadata: at least its `count` (rows) and `dataUpdatedAt`."""
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("count"), int):
        raise BadPayload("a data-fair dataset answer is an object with a count")
    return body


def query_params(state: PartitionState, *, size: int, after: str | None = None) -> dict[str, str]:
    params = {"size": str(size), **state.filters}
    if state.select:
        params["select"] = ",".join(state.select)
    if after is not None:
        params["after"] = after
    return params


async def partition_total(
    client: HttpClient, state: PartitionState, headers: Mapping[str, str]
) -> int:
    """The partition's row count (`size=0`): part of the probe."""
    page = await client.fetch(
        "GET", state.url, parse_lines, params=query_params(state, size=0), headers=headers
    )
    return page.total


async def fetch_lines(
    client: HttpClient,
    part: PartitionDir,
    state: PartitionState,
    *,
    headers: Mapping[str, str],
    limits: PagerLimits,
    on_page: PageCallback | None = None,
) -> PartitionState:
    """Page through one partition from its checkpoint to the end; return its complete state."""
    empty_pages = 0
    while True:
        expected = state.expected_total
        if expected is not None and state.rows >= expected:
            if state.rows == expected:
                break
            state = _restart(part, state, limits, f"{state.rows} rows read, total {expected}")
            continue
        page = await _next_page(client, state, headers)
        if expected is None:
            state = replace(state, expected_total=page.total)
            part.save(state)
        elif page.total != expected:
            # Trap: rows added or removed during the fetch shift the cursor's pages.
            why = f"total went {expected} → {page.total} between pages"
            state = _restart(part, state, limits, why)
            continue
        if not page.rows:
            # Trap: an empty page before the end (index refresh); same cursor, a few times.
            empty_pages += 1
            _check_empty_pages(state, page.total, empty_pages, limits)
            await asyncio.sleep(limits.empty_page_wait_s)
            continue
        empty_pages = 0
        if state.pages and page.next_url is not None and page.after == state.cursor:
            # Trap: a `next` that repeats the cursor would read the same page forever (or
            # until a duplicated count happens to reach `total`).
            state = _restart(part, state, limits, f"the cursor did not move ({page.after})")
            continue
        # Serialising 10,000 rows and the fsyncs stay off the event loop (other partitions).
        body = await asyncio.to_thread(serialise_rows, page.rows)
        state = await asyncio.to_thread(
            part.commit_page, state, body, len(page.rows), cursor=page.after,
            next_url=page.next_url,
        )  # fmt: skip
        if on_page:
            on_page(state)
        if page.next_url is None and state.rows < page.total:
            # Trap: the last page came before `total` rows did; a fresh pass may get them all.
            why = f"the API ended after {state.rows} of {page.total} rows"
            state = _restart(part, state, limits, why, error=IncompleteFetchError)
    done = replace(state, completed_at=now_iso())
    part.save(done)
    return done


def _check_empty_pages(state: PartitionState, total: int, seen: int, limits: PagerLimits) -> None:
    if seen > limits.empty_page_retries:
        raise IncompleteFetchError(
            f"{state.url}: an empty page after {state.rows} of {total} rows, "
            f"{seen} times in a row ({_filters(state)}).",
            hint="The source is not serving this partition right now; rerun later — "
            "completed pages are kept.",
        )


async def _next_page(
    client: HttpClient, state: PartitionState, headers: Mapping[str, str]
) -> LinesPage:
    if state.pages and state.cursor is None and state.next_url:
        # A `next` without an `after` parameter: follow it as given.
        return await client.fetch("GET", state.next_url, parse_lines, headers=headers)
    # Rebuilt from our own root + `after`, so a mirror or proxy that rewrites hosts still works.
    params = query_params(state, size=state.page_size, after=state.cursor if state.pages else None)
    return await client.fetch("GET", state.url, parse_lines, params=params, headers=headers)


def _restart(
    part: PartitionDir,
    state: PartitionState,
    limits: PagerLimits,
    why: str,
    error: type[FetchError] = SourceChangedError,
) -> PartitionState:
    """Drop the partition's pages and read it again from the first page, within the budget."""
    if state.restarts >= limits.max_restarts:
        said = (
            "the source changed during the fetch"
            if error is SourceChangedError
            else "the fetch came short of the source's total"
        )
        raise error(
            f"{state.url} ({_filters(state)}): {said} ({why}); "
            f"restarted {state.restarts} times already.",
            hint="The dataset is being republished or served partly; rerun later.",
        )
    fresh = replace(
        state, expected_total=None, cursor=None, next_url=None, pages=0, rows=0,
        restarts=state.restarts + 1, started_at=now_iso(), completed_at=None,
    )  # fmt: skip
    return part.reset(fresh)


def _filters(state: PartitionState) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(state.filters.items())) or "no filter"
