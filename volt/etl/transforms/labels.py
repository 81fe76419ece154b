"""DPE labels in bulk: DuckDB arrow UDFs over the numpy label engine, and the labelled_dpe view.

DuckDB hands an arrow UDF one vector (2,048 rows) at a time, so each call converts columns to
numpy without copying where it can, runs `volt.domain.dpe_label_vec` and returns arrow with SQL
NULL wherever the engine has no value (NaN, code -1). Register once per connection, then run
`label_dpe_sql()` on a connection that has a `silver_dpe` view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from duckdb import sqltypes
from duckdb.func import FunctionNullHandling, PythonUDFType
from numpy.typing import NDArray

from volt.domain import dpe_label_vec as vec
from volt.domain.dpe_label import LABELS
from volt.etl.transforms.duck import sql_text

LABEL_DICTIONARY = pa.array(LABELS, type=pa.string())
LABELLED_DPE_VIEW = "labelled_dpe"


def _floats(column: Any) -> NDArray[np.float64]:
    # Nulls of a DOUBLE column come out as NaN, which the engine reads as "missing".
    values: NDArray[np.float64] = column.to_numpy(zero_copy_only=False)
    return values


def _days(column: Any) -> NDArray[np.datetime64]:
    values: NDArray[np.datetime64] = column.to_numpy(zero_copy_only=False)  # nulls → NaT
    return values.astype("datetime64[D]", copy=False)


def _flags(column: Any) -> NDArray[np.bool_]:
    # An unknown altitude class is not above 800 m: the general scale applies.
    values: NDArray[np.bool_] = pc.fill_null(column, False).to_numpy(zero_copy_only=False)
    return values


def _published(column: Any) -> NDArray[np.int8]:
    codes = pc.fill_null(pc.index_in(column, value_set=LABEL_DICTIONARY), vec.NO_LABEL)
    return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int8)


def _labels_out(codes: NDArray[np.int8]) -> pa.Array:
    indices = pa.array(codes, mask=codes < 0)
    return pc.take(LABEL_DICTIONARY, indices)


def _double_out(values: NDArray[np.float64]) -> pa.Array:
    return pa.array(values, mask=np.isnan(values))


def _bool_out(codes: NDArray[np.int8]) -> pa.Array:
    return pa.array(codes == 1, mask=codes < 0)


def label_at_udf(cep: Any, eges: Any, surface: Any, on: Any, altitude: Any) -> pa.Array:
    codes = vec.label_codes_at(
        _floats(cep), _floats(eges), _floats(surface), _days(on), _flags(altitude)
    )
    return _labels_out(codes)


def cep_current_udf(cep: Any, elec_ef_kwh_m2: Any, on: Any) -> pa.Array:
    return _double_out(
        vec.cep_under_current_factor(_floats(cep), _floats(elec_ef_kwh_m2), _days(on))
    )


def label_current_udf(
    cep: Any, eges: Any, surface: Any, on: Any, elec_ef_kwh_m2: Any, altitude: Any
) -> pa.Array:
    codes = vec.current_label_codes(
        _floats(cep),
        _floats(eges),
        _floats(surface),
        _days(on),
        _floats(elec_ef_kwh_m2),
        _flags(altitude),
    )
    return _labels_out(codes)


def label_inconsistent_udf(
    published: Any, cep: Any, eges: Any, surface: Any, on: Any, altitude: Any
) -> pa.Array:
    codes = vec.inconsistent_codes(
        _published(published),
        _floats(cep),
        _floats(eges),
        _floats(surface),
        _days(on),
        _flags(altitude),
    )
    return _bool_out(codes)


def _udfs() -> list[tuple[str, Callable[..., pa.Array], list[Any], Any]]:
    d, day, flag, text = sqltypes.DOUBLE, sqltypes.DATE, sqltypes.BOOLEAN, sqltypes.VARCHAR
    return [
        # dpe_label_at(cep, eges, surface, on, altitude_over_800m): rules in force on `on`.
        ("dpe_label_at", label_at_udf, [d, d, d, day, flag], text),
        # dpe_cep_current(cep, elec_ef_kwh_m2, on): Cep under today's electricity factor.
        ("dpe_cep_current", cep_current_udf, [d, d, day], d),
        # dpe_label_current(cep, eges, surface, on, elec_ef_kwh_m2, altitude_over_800m).
        ("dpe_label_current", label_current_udf, [d, d, d, day, d, flag], text),
        # dpe_label_inconsistent(published, cep, eges, surface, on, altitude_over_800m).
        ("dpe_label_inconsistent", label_inconsistent_udf, [text, d, d, d, day, flag], flag),
    ]


def register_label_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the DPE label UDFs on `con` (again is harmless: existing ones are kept)."""
    existing = {
        row[0]
        for row in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'dpe\\_%' "
            "ESCAPE '\\'"
        ).fetchall()
    }
    for name, fn, params, result in _udfs():
        if name in existing:
            continue
        # "special" null handling: NULLs reach the engine (a NULL surface still has a label).
        con.create_function(
            name,
            fn,
            params,
            result,
            type=PythonUDFType.ARROW,
            null_handling=FunctionNullHandling.SPECIAL,
            side_effects=False,
        )


def label_dpe_sql() -> str:
    """SQL creating the `labelled_dpe` view from a `silver_dpe` view (UDFs registered first)."""
    return sql_text("dpe_labels.sql")


def create_labelled_dpe(con: duckdb.DuckDBPyConnection) -> None:
    """Register the UDFs and create `labelled_dpe` over the connection's `silver_dpe` view."""
    register_label_functions(con)
    con.execute(label_dpe_sql())
