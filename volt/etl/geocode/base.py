"""The geocoder contract and the chain that runs geocoders in order over the still-pending rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import duckdb

from volt.errors import VoltError

# Columns of a decisions table, in order; what every geocoder returns for the rows it decided.
DECISION_COLUMNS = (
    "_row_id",
    "ban_id",
    "geocode_status",
    "geocode_method",
    "geocode_score",
    "geocode_candidates",
)
# Columns of a pending table: one row per distinct Enedis address to geocode.
PENDING_COLUMNS = (
    "_row_id",
    "numero_de_voie",
    "indice_de_repetition",
    "type_de_voie",
    "libelle_de_voie",
    "adresse",
    "code_commune",
    "code_insee",
    "nom_commune",  # the web geocoder's query ends with it (its scores compare the city too)
)
DECISIONS_TABLE = "geo_decisions"


class Geocoder(Protocol):
    """Decides what it can among pending rows; the rest stays pending for the next geocoder.

    `geocode(con, pending)` reads the table or view named `pending` (PENDING_COLUMNS) and returns
    the name of a table of DECISION_COLUMNS with at most one row per `_row_id` it decided
    (`matched` or `ambiguous`); it must not decide rows that are not pending.
    """

    @property
    def method(self) -> str: ...

    def geocode(self, con: duckdb.DuckDBPyConnection, pending: str) -> str: ...


def run_chain(con: duckdb.DuckDBPyConnection, addresses: str, geocoders: Sequence[Geocoder]) -> str:
    """Run `geocoders` in order over `addresses` (PENDING_COLUMNS); return the decisions table.

    Rows no geocoder decided have no decision; the caller reports them as `not_found`.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {DECISIONS_TABLE} ("
        "_row_id BIGINT, ban_id VARCHAR, geocode_status VARCHAR, geocode_method VARCHAR, "
        "geocode_score DOUBLE, geocode_candidates INTEGER)"
    )
    cols = ", ".join(PENDING_COLUMNS)
    for step, geocoder in enumerate(geocoders):
        pending = f"geo_pending_{step}"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {pending} AS SELECT {cols} FROM {addresses} AS a "
            f"WHERE NOT EXISTS (SELECT 1 FROM {DECISIONS_TABLE} AS d WHERE d._row_id = a._row_id)"
        )
        decided = geocoder.geocode(con, pending)
        _check_decisions(con, decided, pending, geocoder.method)
        con.execute(
            f"INSERT INTO {DECISIONS_TABLE} SELECT {', '.join(DECISION_COLUMNS)} FROM {decided}"
        )
        con.execute(f"DROP VIEW {pending}")
    return DECISIONS_TABLE


def _check_decisions(
    con: duckdb.DuckDBPyConnection, decided: str, pending: str, method: str
) -> None:
    """A geocoder that decides a row twice or a row that was not pending would break the count."""
    row = con.execute(
        f"SELECT count(*), count(DISTINCT d._row_id), count(p._row_id), "
        "count(*) FILTER (WHERE d.geocode_status NOT IN ('matched', 'ambiguous')) "
        f"FROM {decided} AS d LEFT JOIN {pending} AS p USING (_row_id)"
    ).fetchone()
    total, distinct, pending_rows, bad_status = row if row else (0, 0, 0, 0)
    if total != distinct or total != pending_rows or bad_status:
        raise VoltError(
            f"Geocoder {method!r} returned {total} decisions for {distinct} rows, "
            f"{pending_rows} of them pending, {bad_status} with an unknown status.",
            hint="A geocoder decides each pending row at most once, as matched or ambiguous.",
        )
