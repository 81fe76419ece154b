"""Silver Enedis → geocoded Enedis: every row once, with its BAN id, status, method and score."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from volt.errors import VoltError
from volt.etl.geocode.ban_file import BanFileGeocoder
from volt.etl.geocode.base import PENDING_COLUMNS, Geocoder, run_chain
from volt.etl.geocode.report import DepartementRate, GeocodeReport
from volt.etl.transforms.duck import literal, sql_text

ADDRESS_COLUMNS = PENDING_COLUMNS[1:]


def geocode_enedis(
    con: duckdb.DuckDBPyConnection,
    enedis_parquet: str,
    ban_parquet: str,
    out_path: Path,
    geocoders: Sequence[Geocoder] | None = None,
) -> GeocodeReport:
    """Geocode the silver Enedis rows at `enedis_parquet` into one parquet file at `out_path`.

    The same address repeats every year (and sometimes once per IRIS): the geocoders see each
    distinct address once, and every Enedis row gets its address's decision; rows no geocoder
    decided are `not_found`. Nothing is dropped: rows in = rows out, checked.
    """
    started = time.perf_counter()
    chain = list(geocoders) if geocoders is not None else [BanFileGeocoder(ban_parquet)]
    con.execute("SET VARIABLE geo_enedis_glob = ?", [enedis_parquet])
    con.execute(sql_text("geocode_addresses.sql"))
    decisions = run_chain(con, "geo_addresses", chain)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT * FROM geo_output_sql({literal(decisions)})) "
        f"TO {literal(str(out_path))} (FORMAT parquet)"
    )
    report = _report(con, out_path, time.perf_counter() - started)
    con.execute(f"DROP TABLE {decisions}")
    con.execute("DROP TABLE geo_addresses")
    return report


def _report(con: duckdb.DuckDBPyConnection, out_path: Path, seconds: float) -> GeocodeReport:
    out = f"read_parquet({literal(str(out_path))})"
    source = con.execute("SELECT count(*) FROM geo_enedis").fetchone()
    rows_in = int(source[0]) if source else 0
    statuses = dict(
        con.execute(f"SELECT geocode_status, count(*) FROM {out} GROUP BY 1").fetchall()
    )
    counts = {s: int(statuses.pop(s, 0)) for s in ("matched", "ambiguous", "not_found")}
    if statuses or sum(counts.values()) != rows_in:
        raise VoltError(
            f"Geocoding wrote {sum(counts.values())} rows for {rows_in} Enedis rows "
            f"(unexpected statuses: {sorted(statuses)}).",
            hint="Every silver Enedis row must come out once with its status; this is a bug.",
        )
    by_method = {
        str(m): int(n)
        for m, n in con.execute(
            f"SELECT geocode_method, count(*) FROM {out} WHERE geocode_method IS NOT NULL "
            "GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    }
    by_departement = tuple(
        DepartementRate(str(d), int(n), int(m), int(a), int(nf))
        for d, n, m, a, nf in con.execute(
            f"SELECT code_departement, count(*), count(*) FILTER (geocode_status = 'matched'), "
            "count(*) FILTER (geocode_status = 'ambiguous'), "
            f"count(*) FILTER (geocode_status = 'not_found') FROM {out} GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    return GeocodeReport(rows_in, **counts, by_method=by_method,
                         by_departement=by_departement, seconds=seconds)  # fmt: skip
