"""Structured geocoding against the BAN national file: exact, street without type, then fuzzy."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from volt.etl.geocode.vocabulary import load_vocabulary
from volt.etl.transforms.duck import sql_text

# Jaro-Winkler on the name core (no type, no particles, no spaces) or on the name without spaces,
# whichever is higher. One letter lost or swapped scores >= 0.92 (`LILAS`/`LILS` 0.953, `GAMBETTA`/
# `GAMBTTA` 0.975, `CAMILLE CLAUDEL`/`CAMILE CLAUDEL` 0.924: a doubled letter costs more), while
# distinct streets score below (`PASTEUR NORD`/`PASTEUR SUD` 0.905, `JEAN MOULIN`/`JEAN MONNET`
# 0.88, `SAINT MARTIN`/`SAINT PIERRE` 0.826). Same commune, number and index are required too.
FUZZY_THRESHOLD = 0.92
# A street must beat the next candidate at the same number by this much, else the row is ambiguous.
FUZZY_MARGIN = 0.02
# Scores order the methods by trust: an exact key is certain (1.0); the same name under another or
# no street type is very likely (0.9); a fuzzy match scores FUZZY_SCORE × similarity (0.79–0.85).
NO_TYPE_SCORE = 0.9
FUZZY_SCORE = 0.85
METHOD = "ban_file"


@dataclass(frozen=True)
class BanFileGeocoder:
    """Matches pending Enedis addresses to the silver BAN parquet files at `ban_parquet_glob`."""

    ban_parquet_glob: str
    fuzzy_threshold: float = FUZZY_THRESHOLD
    fuzzy_margin: float = FUZZY_MARGIN

    @property
    def method(self) -> str:
        return METHOD

    def geocode(self, con: duckdb.DuckDBPyConnection, pending: str) -> str:
        load_vocabulary(con)
        settings = {
            "geo_ban_glob": self.ban_parquet_glob,
            "geo_pending": pending,
            "geo_fuzzy_threshold": self.fuzzy_threshold,
            "geo_fuzzy_margin": self.fuzzy_margin,
            "geo_score_no_type": NO_TYPE_SCORE,
            "geo_score_fuzzy": FUZZY_SCORE,
        }
        for name, value in settings.items():
            con.execute(f"SET VARIABLE {name} = ?", [value])
        con.execute(sql_text("geocode_ban.sql"))
        con.execute(sql_text("geocode_pending.sql"))
        con.execute(sql_text("geocode_match.sql"))
        con.execute("DROP TABLE geo_ban_keys")
        for table in ("geo_ban_streets", "geo_pending_keys", "geo_pending_streets"):
            con.execute(f"DROP TABLE {table}")
        return "geo_ban_file_decisions"
