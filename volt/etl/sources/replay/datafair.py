"""data-fair replay (opendata.enedis.fr, data.ademe.fr): dataset metadata and `/lines` paging.

Supports what volt sends: `size` (≤ 10,000; 0 = total only), `select`, `<field>_eq`, `<field>_in`,
`after` (the last row's `_i`), absolute `next` URLs; metadata with `count` and `dataUpdatedAt`.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from volt.etl.sources.replay.messages import (
    ReplayRequestError,
    Request,
    Response,
    int_arg,
    json_response,
)
from volt.etl.sources.replay.tables import Filters, Row, View, row_identity

MAX_SIZE = 10_000  # data-fair refuses larger pages
DEFAULT_SIZE = 12  # data-fair's default page size when `size` is absent
FILTER_SUFFIXES = ("_eq", "_in")
# Real data-fair parameters this replay does not implement: refused, so that a fetch relying on
# them fails loudly here instead of silently getting unfiltered rows.
UNSUPPORTED_PARAMS = ("qs", "q", "format", "sort")
UNSUPPORTED_SUFFIXES = ("_gte", "_lte", "_gt", "_lt", "_nin", "_neq", "_exists", "_search")
# data-fair's schema types for the registry's column types.
SCHEMA_TYPES = {"int": "integer", "year": "integer", "float": "number"}


def dataset(request: Request, view: View) -> Response:
    snap = view.table.snapshot()
    schema = [
        {"key": wire, "type": SCHEMA_TYPES.get(kind, "string")} for wire, kind in view.field_types()
    ]
    return json_response(
        {
            "id": view.dataset_id,
            "slug": view.dataset_id,
            "title": view.title,
            "count": len(snap.rows),
            "dataUpdatedAt": snap.data_updated_at,
            "updatedAt": snap.updated_at,
            "finalizedAt": snap.updated_at,
            "schema": schema,
        }
    )


def lines(request: Request, view: View) -> Response:
    size = int_arg(request, "size", DEFAULT_SIZE)
    if not 0 <= size <= MAX_SIZE:
        raise ReplayRequestError(400, f"size must be between 0 and {MAX_SIZE}")
    after = int_arg(request, "after", 0)
    select = _select(request, view)
    snap = view.table.snapshot()
    positions = view.table.filtered(snap, _filters(request, view))
    total = len(positions)
    if "total_change" in request.data_faults:
        # Fault: the source changed between two pages (this page reports another total).
        total += int(request.fault_params["total_change"].get("delta", 1))
    if size == 0:
        return json_response({"total": total, "results": []})
    # `_i` is position + 1: the first filtered row past the cursor.
    start = bisect_right(positions, after - 1)
    page = positions[start : start + size]
    if "empty_page" in request.data_faults:
        # Fault: an empty page (and no next) while rows remain.
        return json_response({"total": total, "results": []})
    results = [_wire_row(view, snap.rows[n], n, select) for n in page]
    payload: dict[str, Any] = {"total": total}
    if start + size < len(positions):
        # Fault `stuck_cursor`: a `next` that repeats this page's own cursor.
        cursor = str(after) if "stuck_cursor" in request.data_faults else str(page[-1] + 1)
        payload["next"] = request.url_with(after=cursor)
    payload["results"] = results
    return json_response(payload)


def _wire_row(view: View, row: Row, position: int, select: list[str] | None) -> Row:
    out = view.wire_row(row, nulls=False)
    if select is not None:
        out = {k: out[k] for k in select if k in out}
    row_id, rand = row_identity(view.table.name, position)
    out.update({"_i": position + 1, "_id": row_id, "_rand": rand, "_score": None})
    return out


def _select(request: Request, view: View) -> list[str] | None:
    raw = request.arg("select")
    if not raw:
        return None
    wanted = [k.strip() for k in raw.split(",") if k.strip()]
    known = set(view.keys.values())
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise ReplayRequestError(
            400, f"Impossible de sélectionner les champs inconnus: {', '.join(unknown)}"
        )
    return wanted


def _filters(request: Request, view: View) -> Filters:
    by_wire = view.wire_to_canonical
    filters: list[tuple[str, tuple[str, ...]]] = []
    for name, value in request.query:
        unsupported = name in UNSUPPORTED_PARAMS and not (name == "sort" and value == "_i")
        if unsupported or name.endswith(UNSUPPORTED_SUFFIXES):
            raise ReplayRequestError(400, f"{name} is not replayed (only _eq, _in, select, after)")
        suffix = name[-3:]
        if suffix not in FILTER_SUFFIXES:
            continue
        wire = name[:-3]
        if wire not in by_wire:
            raise ReplayRequestError(400, f"Champ inconnu dans le filtre {name}: {wire}")
        accepted = tuple(value.split(",")) if suffix == "_in" else (value,)
        filters.append((by_wire[wire], accepted))
    return tuple(sorted(filters))
