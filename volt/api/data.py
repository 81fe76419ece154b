"""What every data route shares: the load it serves, conditional and cached responses, exports.

- `CurrentLoadDep`: the current data load (`data_version`, source vintages); 503 before the first.
- `as_geojson(...)`: a GeoJSON answer of `serve_data` with a `Link` to the next page.
- `serve_data(...)`: ETag from (data_version, path, query) so a new load changes every ETag;
  `If-None-Match` → 304 before any query; JSON bodies cached aside under a key that contains the
  data_version (a new load invalidates without a flush); `format=csv|parquet` exports of the same
  rows, streamed, with a filename naming the load.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from pydantic_core import to_json

from volt.api import queries
from volt.api.deps import AppStateDep, AsyncConn, ReadConn
from volt.api.state import AppState
from volt.cache.base import cache_key
from volt.errors import ServiceUnavailableError

log = logging.getLogger("volt.api.data")

# The current load is read at most this often per process: a new load shows within 2 s, and a
# burst of requests costs one query instead of one each.
LOAD_TTL_S = 2.0
# The cache layer keeps answering from an expired memo this long while it is re-read.
LOAD_STALE_S = 10.0
# Responses change only with a new load, which changes their ETag: clients may reuse them for
# 5 minutes, then revalidate (a 304 costs no query). `private`: they are behind a token.
CACHE_CONTROL = "private, max-age=300"
RESPONSE_CACHE_TTL_S = 3600  # cache-aside entries; a new data_version makes them unreachable


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"


FormatQuery = Annotated[
    ExportFormat,
    Query(description="json (default), or the same rows as a csv or parquet download."),
]

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}


class CurrentLoad(BaseModel):
    data_version: str = Field(description="The gold load this answer comes from.")
    loaded_at: datetime
    sources: dict[str, str] = Field(
        description="Vintage (date of the files) per source.",
        examples=[{"ban": "2026-10-01", "dpe": "2026-11-02", "enedis": "2026-06-30"}],
    )


class DataRead(BaseModel):
    """Base of every data response: which load and source vintages it comes from."""

    data_version: str = Field(examples=["c87c3d40a33b…"])
    sources: dict[str, str] = Field(examples=[{"dpe": "2026-11-02", "enedis": "2026-06-30"}])


async def current_load(state: AppStateDep, conn: ReadConn) -> CurrentLoad:
    """The load the API serves (read at most every LOAD_TTL_S per app, by one request at a
    time: a burst arriving when the memo expires waits for one query, not fifty)."""
    loaded = fresh_load(state)
    if loaded is not None:
        return loaded
    lock: asyncio.Lock = state.memo.setdefault("current_load_lock", asyncio.Lock())
    async with lock:
        loaded = fresh_load(state)
        if loaded is not None:
            return loaded
        return await _read_load(state, conn)


async def _read_load(state: AppState, conn: AsyncConn) -> CurrentLoad:
    now = time.monotonic()
    row = await (await conn.execute(queries.CURRENT_LOAD_SQL)).fetchone()
    if row is None:
        raise ServiceUnavailableError(
            "No data load is published yet.", hint="An admin must run `volt etl run` first."
        )
    load = CurrentLoad(data_version=row[0], loaded_at=row[1], sources=_vintages(row[2]))
    state.memo["current_load"] = (now, load)
    return load


def served_load(state: AppState) -> CurrentLoad | None:
    """For the cache layer: the memoised load while fresh; once expired (but younger than
    LOAD_STALE_S) still that load, while one background task reads the current one — stale
    while revalidating, so the layer never stalls on the expiry. None: let the routes read it."""
    memo = state.memo.get("current_load")
    if memo is None:
        return None
    age = time.monotonic() - memo[0]
    if age >= LOAD_TTL_S:
        if age >= LOAD_STALE_S:
            return None
        task = state.memo.get("current_load_refresh")
        if task is None or task.done():
            state.memo["current_load_refresh"] = asyncio.create_task(_refresh_load(state))
    load: CurrentLoad = memo[1]
    return load


async def _refresh_load(state: AppState) -> None:
    try:
        async with state.reader_pool.connection() as conn:
            await _read_load(state, conn)
    except Exception:  # the routes read (and report) it themselves once the memo is too old
        log.warning("data.load.refresh_failed", exc_info=True)


def _vintages(manifest: Any) -> dict[str, str]:
    vintages: dict[str, str] = {}
    for entry in (manifest or {}).get("entries", []):
        source, vintage = entry.get("source"), entry.get("vintage")
        if source and vintage and vintage > vintages.get(source, ""):
            vintages[source] = vintage
    return dict(sorted(vintages.items()))


CurrentLoadDep = Annotated[CurrentLoad, Depends(current_load)]


def etag_of(load: CurrentLoad, request: Request) -> str:
    return etag_for(load.data_version, request.url.path, request.query_params.multi_items())


def etag_for(data_version: str, path: str, query: Iterable[tuple[str, str]]) -> str:
    """The ETag of a data answer: the load, the path and the query (in any order)."""
    text = "&".join(sorted(f"{k}={v}" for k, v in query))
    digest = hashlib.sha256(f"{data_version}\n{path}\n{text}".encode())
    return f'W/"{digest.hexdigest()[:32]}"'


def response_key(prefix: str, etag: str) -> str:
    """Where a JSON answer is cached aside: under its ETag, so under its load."""
    return cache_key(prefix, "response", etag.strip('W/"'))


def fresh_load(state: AppState) -> CurrentLoad | None:
    """The memoised current load if it is younger than LOAD_TTL_S, else None."""
    memo = state.memo.get("current_load")
    if memo is None or time.monotonic() - memo[0] >= LOAD_TTL_S:
        return None
    load: CurrentLoad = memo[1]
    return load


def etag_matches(header: str, etag: str) -> bool:
    """Whether an `If-None-Match` header names this ETag (or any, `*`)."""
    return bool(header) and any(tag.strip() in (etag, "*") for tag in header.split(","))


@dataclass(frozen=True)
class Prebuilt:
    """An answer built as plain JSON values from our own rows, in the field order and shape of
    `model`: validating a page of 50 buildings into models cost a third of the request. Exports
    validate it into `model`, and each route's tests check that both give the same JSON."""

    data: dict[str, Any]
    model: type[BaseModel]

    def validated(self) -> BaseModel:
        return self.model.model_validate(self.data)


Answer = BaseModel | Prebuilt
Producer = Callable[[], Awaitable[Answer]]


def answer_json(answer: Answer) -> bytes:
    if isinstance(answer, Prebuilt):
        return to_json(answer.data)
    return answer.model_dump_json().encode()


async def serve_data(
    request: Request,
    state: AppStateDep,
    load: CurrentLoad,
    produce: Producer,
    *,
    name: str,
    fmt: ExportFormat = ExportFormat.JSON,
) -> Response:
    """The route's answer as JSON (cached aside) or as an export, with ETag and Cache-Control.

    `produce` runs the route's queries; it is not called for a 304 or a cache hit. `name` is the
    export's file name stem (e.g. "communes-06").
    """
    fmt = ExportFormat(fmt)
    etag = etag_of(load, request)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Authorization"}
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    if fmt is not ExportFormat.JSON:
        answer = await produce()
        model = answer.validated() if isinstance(answer, Prebuilt) else answer
        return export_response(model, fmt, f"{name}-{load.data_version[:12]}", headers)
    key = response_key(state.settings.cache_prefix, etag)
    body = await _cache_get(state, key)
    if body is None:
        body = await _produce_once(state, key, produce)
    return Response(body, media_type="application/json", headers=headers)


async def _produce_once(state: AppState, key: str, produce: Producer) -> bytes:
    """The JSON body, produced once per process however many requests ask for it meanwhile.

    When a cached answer expires or a load is new, the first burst of identical requests would
    each run the same queries and suppression; they wait for the first one instead (its error,
    a 404 say, is theirs too). If that request is cancelled, a waiter produces the body itself.
    """
    inflight: dict[str, asyncio.Future[bytes]] = state.memo.setdefault("inflight", {})
    pending = inflight.get(key)
    if pending is not None:
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            if not pending.cancelled():
                raise  # this request was cancelled, not the one producing
    future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    inflight[key] = future
    try:
        body = answer_json(await produce())
        await _cache_set(state, key, body)
    except Exception as exc:
        future.set_exception(exc)
        future.exception()  # retrieved: no "never retrieved" warning when no one waits
        raise
    except BaseException:
        future.cancel()
        raise
    finally:
        if inflight.get(key) is future:
            del inflight[key]
    future.set_result(body)
    return body


async def _cache_get(state: Any, key: str) -> bytes | None:
    try:
        result: bytes | None = await state.cache.get(key)
        return result
    except ServiceUnavailableError:
        return None  # the response cache is an optimisation: answer from the database


async def _cache_set(state: Any, key: str, body: bytes) -> None:
    try:
        await state.cache.set(key, body, RESPONSE_CACHE_TTL_S)
    except ServiceUnavailableError:
        return


def tabular(model: BaseModel) -> tuple[list[str], list[dict[str, Any]]]:
    """The rows an export holds: a model's `items` if it has them, else the model itself; nested
    objects flattened to dotted columns, lists to JSON text."""
    data = model.model_dump(mode="json")
    records = data["items"] if isinstance(data.get("items"), list) else [data]
    rows = [_flatten(r) for r in records]
    columns = list(dict.fromkeys(c for row in rows for c in row))
    return columns, rows


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, ensure_ascii=False)
        else:
            flat[name] = value
    return flat


def export_response(
    model: BaseModel, fmt: ExportFormat, stem: str, headers: dict[str, str]
) -> Response:
    columns, rows = tabular(model)
    disposition = {"Content-Disposition": f'attachment; filename="{stem}.{fmt.value}"'}
    if fmt is ExportFormat.CSV:
        return StreamingResponse(
            _csv_chunks(columns, rows), media_type=MEDIA_TYPES[fmt], headers=headers | disposition
        )
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return Response(sink.getvalue(), media_type=MEDIA_TYPES[fmt], headers=headers | disposition)


def _csv_chunks(columns: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text in chunks of about 64 kB (a header line first)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 65_536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


GEOJSON = "application/geo+json"
TAIL_BYTES = 256  # `,"next":"<a code or BAN id>"}` ends every GeoJSON body


class GeoJSONResponse(JSONResponse):
    """Only documents the media type; answers are built by serve_data and re-labelled."""

    media_type = GEOJSON


def as_geojson(response: Response, request: Request) -> Response:
    """serve_data's JSON answer (fresh or cached) as GeoJSON, with a `Link` to the next page.

    The cursor is read from the body's last member (`next`, last by the model's field order),
    so a cached body needs no parsing.
    """
    if response.status_code != 200:
        return response  # 304: no body, same headers
    response.headers["content-type"] = GEOJSON
    tail = bytes(response.body[-TAIL_BYTES:])
    start = tail.rfind(b',"next":')
    cursor = json.loads(tail[start + len(b',"next":') : -1]) if start >= 0 else None
    if isinstance(cursor, str):
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
        link = f"{request.url.path}?{urlencode([*params, ('after', cursor)])}"
        response.headers["link"] = f'<{link}>; rel="next"'
    return response
