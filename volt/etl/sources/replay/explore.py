"""Opendatasoft Explore v2.1 replay (data.enedis.fr): catalog metadata, `/records`, `/exports/csv`.

`where` understands what volt sends: `field=value` clauses joined by `and`, values `date'2023'`,
`'69'`, `"69"` or a bare number.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from volt.etl.sources.replay.messages import (
    ReplayRequestError,
    Request,
    Response,
    int_arg,
    json_response,
)
from volt.etl.sources.replay.tables import Filters, View, as_text

RECORDS_MAX_LIMIT = 100  # Explore's maximum `limit` on /records
RECORDS_WINDOW = 10_000  # Trap: /records refuses offset + limit > 10,000 (use /exports/csv)
RECORDS_DEFAULT_LIMIT = 10
BOM = "\ufeff"
# Explore field types for the registry's column types (annee is a date field in ODS).
FIELD_TYPES = {"int": "int", "float": "double", "year": "date"}

_VALUE = (
    r"(?:date\s*'(?P<date>[^']*)'"
    r"|'(?P<single>(?:[^']|'')*)'"
    r'|"(?P<double>(?:[^"\\]|\\.)*)"'
    r"|(?P<number>-?\d+(?:\.\d+)?))"
)
_CLAUSE = re.compile(r"\s*`?(?P<field>[A-Za-z_]\w*)`?\s*=\s*" + _VALUE + r"\s*")
_AND = re.compile(r"and\b", re.IGNORECASE)


def dataset(request: Request, view: View) -> Response:
    snap = view.table.snapshot()
    fields = [
        {"name": wire, "type": FIELD_TYPES.get(kind, "text")} for wire, kind in view.field_types()
    ]
    return json_response(
        {
            "dataset_id": view.dataset_id,
            "dataset_uid": "da_replay",
            "has_records": bool(snap.rows),
            "fields": fields,
            "metas": {
                "default": {
                    "title": view.title,
                    "modified": snap.updated_at,
                    "data_processed": snap.data_updated_at,
                    "metadata_processed": snap.updated_at,
                    "records_count": len(snap.rows),
                }
            },
        }
    )


def records(request: Request, view: View) -> Response:
    limit = int_arg(request, "limit", RECORDS_DEFAULT_LIMIT)
    offset = int_arg(request, "offset", 0)
    if not -1 <= limit <= RECORDS_MAX_LIMIT:
        raise _parameter_error(
            f"Invalid value for limit API parameter: {limit} was found but -1 <= limit <= "
            f"{RECORDS_MAX_LIMIT} is expected."
        )
    limit = RECORDS_MAX_LIMIT if limit == -1 else limit
    if offset < 0 or offset + limit > RECORDS_WINDOW:
        raise _parameter_error(
            f"Invalid value for offset API parameter: offset + limit must be lower than or equal "
            f"to {RECORDS_WINDOW} (offset={offset}, limit={limit})."
        )
    select = _select(request, view)
    snap = view.table.snapshot()
    positions = view.table.filtered(snap, parse_where(request.arg("where") or "", view))
    total = len(positions)
    if "total_change" in request.data_faults:
        total += int(request.fault_params["total_change"].get("delta", 1))
    page = [] if "empty_page" in request.data_faults else positions[offset : offset + limit]
    results = [_project(view.wire_row(snap.rows[n], nulls=True), select) for n in page]
    return json_response({"total_count": total, "results": results})


def export_csv(request: Request, view: View) -> Response:
    """The whole filtered dataset as CSV: UTF-8 BOM, `;` (or `delimiter=`), header = field ids."""
    delimiter = request.arg("delimiter") or ";"
    if len(delimiter) != 1:
        raise _parameter_error(f"Invalid value for delimiter API parameter: {delimiter!r}")
    select = _select(request, view) or list(view.keys.values())
    limit = int_arg(request, "limit", -1)
    snap = view.table.snapshot()
    positions = view.table.filtered(snap, parse_where(request.arg("where") or "", view))
    if limit >= 0:
        positions = positions[:limit]
    out = io.StringIO()
    if (request.arg("with_bom") or "true").lower() != "false":
        out.write(BOM)  # Trap: the export starts with a BOM glued to the first header
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(select)
    for n in positions:
        row = view.wire_row(snap.rows[n], nulls=True)
        writer.writerow([as_text(row.get(k)) for k in select])
    body = out.getvalue().encode("utf-8")
    headers = {"Content-Disposition": f'attachment; filename="{view.dataset_id}.csv"'}
    return Response(200, body, "text/csv; charset=utf-8", headers)


def parse_where(where: str, view: View) -> Filters:
    """`annee=date'2023' and code_departement='69'` → filters on canonical columns."""
    by_wire = view.wire_to_canonical
    filters: list[tuple[str, tuple[str, ...]]] = []
    pos = 0
    while pos < len(where.strip()):
        match = _CLAUSE.match(where, pos)
        if match is None:
            raise _odsql_error(f"Unsupported where clause near {where[pos:]!r}")
        field = match["field"]
        if field not in by_wire:
            raise _odsql_error(f"Unknown field: {field}")
        filters.append((by_wire[field], (_clause_value(match, view, by_wire[field]),)))
        pos = match.end()
        joint = _AND.match(where, pos)
        if joint is None and where[pos:].strip():
            raise _odsql_error(f"Expected 'and' near {where[pos:]!r}")
        pos = joint.end() if joint else len(where)
    return tuple(sorted(filters))


def _clause_value(match: re.Match[str], view: View, canonical: str) -> str:
    if match["date"] is not None:
        column = view.table.spec.columns.get(canonical)
        # Trap: annee is a date field in ODS: date'2023' (or date'2023-01-01') means the year.
        return match["date"][:4] if column is not None and column.type == "year" else match["date"]
    if match["single"] is not None:
        return match["single"].replace("''", "'")
    if match["double"] is not None:
        return re.sub(r"\\(.)", r"\1", match["double"])
    return as_text(float(match["number"])) if "." in match["number"] else match["number"]


def _select(request: Request, view: View) -> list[str] | None:
    raw = request.arg("select")
    if not raw:
        return None
    wanted = [k.strip() for k in raw.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in view.wire_to_canonical]
    if unknown:
        raise _odsql_error(f"Unknown field: {', '.join(unknown)}")
    return wanted


def _project(row: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    return row if select is None else {k: row.get(k) for k in select}


def _parameter_error(message: str) -> ReplayRequestError:
    return ReplayRequestError(400, {"error_code": "InvalidRESTParameterError", "message": message})


def _odsql_error(message: str) -> ReplayRequestError:
    return ReplayRequestError(400, {"error_code": "ODSQLError", "message": message})
