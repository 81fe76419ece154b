"""Loads volt.domain.street_types and the address normalisation macros into DuckDB."""

from __future__ import annotations

import duckdb

from volt.domain.street_types import (
    PARTICLES,
    STREET_WORDS,
    repetition_alternatives,
    street_type_words,
)
from volt.etl.transforms.duck import sql_text


def load_vocabulary(con: duckdb.DuckDBPyConnection) -> None:
    """Create the lookup tables, variables and macros that geocode_*.sql reads (idempotent)."""
    types = street_type_words()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE geo_street_types AS "
        "SELECT unnest(?::VARCHAR[]) AS word, unnest(?::VARCHAR[]) AS full_word",
        [list(types), list(types.values())],
    )
    reps = repetition_alternatives()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE geo_rep_alternatives AS "
        "SELECT unnest(?::VARCHAR[]) AS indice, unnest(?::VARCHAR[]) AS rep, "
        "unnest(?::INTEGER[]) AS rank",
        [[r[0] for r in reps], [r[1] for r in reps], [r[2] for r in reps]],
    )
    con.execute(
        "SET VARIABLE geo_words = map(?::VARCHAR[], ?::VARCHAR[])",
        [[w for w, _ in STREET_WORDS], [f for _, f in STREET_WORDS]],
    )
    con.execute("SET VARIABLE geo_particles = ?::VARCHAR[]", [list(PARTICLES)])
    con.execute(sql_text("geocode_macros.sql"))
