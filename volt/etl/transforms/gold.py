"""Silver → gold: buildings, areas, area cuts, metered-vs-DPE tests, the tables the load copies."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from volt.errors import VoltError
from volt.etl.gold_schema import GOLD_TABLES, GoldTable
from volt.etl.reports import StageReport
from volt.etl.transforms.cut_values import create_cut_macros
from volt.etl.transforms.duck import ident, literal, sql_text
from volt.etl.transforms.gold_stats import register_tests

log = logging.getLogger("volt.etl.gold")

# Run order: each file reads the tables of the ones before it (see each file's header).
GOLD_SQL = (
    "gold_inputs.sql",
    "gold_buildings.sql",
    "gold_communes.sql",
    "gold_areas.sql",
    "gold_cuts.sql",
    "gold_dpe_vs_metered.sql",
)
WORK_TABLES = (
    "gold_dpe_in", "g_cut_wordings", "g_dpe", "g_metered", "g_ban", "g_dpe_bld", "g_buildings",
    "g_communes", "g_area_bld", "g_area_dpe_values", "g_area_dpe", "g_areas", "g_cut_places",
    "g_cut_values", "g_cut_counts", "g_cut_q", "g_cut_codes", "g_area_cuts", "g_vs_buildings",
    "g_vs_cells",
)  # fmt: skip


METRICS_FILE = "metrics.json"


class GoldContractError(VoltError):
    """A gold file does not have the columns and types of volt.etl.gold_schema."""

    title = "Gold contract broken"


@dataclass(frozen=True)
class GoldReport:
    """What the gold stage wrote: rows per table, join/geocoding metrics, time."""

    tables: dict[str, int]
    metrics: dict[str, Any]
    seconds: float
    outputs: tuple[str, ...] = ()
    pairs: int = 0  # metered-vs-DPE pairs over every area level

    @property
    def rows_in(self) -> int:
        """Enedis rows + DPE rows read (the BAN file is a lookup, not a stage input)."""
        return int(self.metrics["enedis_rows"]) + int(self.metrics["dpe_rows"])

    @property
    def rows_out(self) -> int:
        """Every input row is kept in gold (enedis_consumption, dpe), matched or not."""
        return self.tables["enedis_consumption"] + self.tables["dpe"]

    def stage_report(self) -> StageReport:
        unmatched = int(self.metrics["enedis_rows"]) - int(self.metrics["matched_rows"])
        return StageReport(
            stage="gold",
            source="all",
            rows_in=self.rows_in,
            rows_out=self.rows_out,
            rows_rejected=0,
            rows_flagged=unmatched,  # Enedis rows without a building (not geocoded)
            seconds=self.seconds,
            outputs=self.outputs,
            flags={"enedis_not_matched": unmatched},
        )


def build_gold(
    con: duckdb.DuckDBPyConnection,
    *,
    enedis_geocoded: str,
    dpe_view: str,
    ban_parquet: str,
    gold_dir: Path,
) -> GoldReport:
    """Write gold_dir/<table>.parquet for every gold table and gold_dir/metrics.json."""
    started = time.perf_counter()
    gold_dir.mkdir(parents=True, exist_ok=True)
    _input_views(con, enedis_geocoded, dpe_view, ban_parquet)
    create_cut_macros(con)
    try:
        for name in GOLD_SQL:
            with _timed(name):
                con.execute(sql_text(name))
        with _timed("statistical tests"):
            pairs = register_tests(con, "g_vs_pairs")
        con.execute(sql_text("gold_tables.sql"))
        counts: dict[str, int] = {}
        for table in GOLD_TABLES:
            with _timed(f"write {table.name}"):
                counts[table.name] = _write_table(con, table, gold_dir)
        metrics = _metrics(con)
    finally:
        _drop_work(con)
    (gold_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")
    outputs = tuple(str(gold_dir / f"{t.name}.parquet") for t in GOLD_TABLES)
    return GoldReport(
        tables=counts,
        metrics=metrics,
        seconds=time.perf_counter() - started,
        outputs=(*outputs, str(gold_dir / METRICS_FILE)),
        pairs=pairs,
    )


@contextlib.contextmanager
def _timed(step: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log.info("etl.gold.step %s %.2fs", step, time.perf_counter() - started)


def _input_views(con: duckdb.DuckDBPyConnection, enedis: str, dpe_view: str, ban: str) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP VIEW gold_enedis_in AS SELECT * FROM "
        f"read_parquet({literal(enedis)})"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW gold_dpe_src AS SELECT * FROM {ident(dpe_view)}")
    # Trap: hive partition folders (code_departement=06) must not re-type the column.
    con.execute(
        "CREATE OR REPLACE TEMP VIEW gold_ban_in AS SELECT * FROM "
        f"read_parquet({literal(ban)}, hive_partitioning = false)"
    )


def _write_table(con: duckdb.DuckDBPyConnection, table: GoldTable, gold_dir: Path) -> int:
    path = gold_dir / f"{table.name}.parquet"
    row = con.execute(
        f"COPY (SELECT * FROM gold_out_{table.name}) TO {literal(str(path))} (FORMAT parquet)"
    ).fetchone()
    check_contract(con, table, path)
    return int(row[0]) if row else 0


def check_contract(con: duckdb.DuckDBPyConnection, table: GoldTable, path: Path) -> None:
    """Raise GoldContractError unless the file has exactly the contract's columns and types."""
    found = [
        (str(r[0]), str(r[1]))
        for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})"
        ).fetchall()
    ]
    expected = list(table.columns)
    if found != expected:
        diff = [f"{e} ≠ {f}" for e, f in zip(expected, found, strict=False) if e != f]
        raise GoldContractError(
            f"{path.name}: columns differ from volt.etl.gold_schema.{table.name} "
            f"({len(found)} found, {len(expected)} expected): " + "; ".join(diff[:5]),
            hint="Change the gold SQL or the contract (and migration 0002) together.",
        )


def _metrics(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rel = con.execute("SELECT * FROM gold_metrics")
    row = rel.fetchone()
    names = [d[0] for d in rel.description or []]
    return dict(zip(names, row or (), strict=True))


def _drop_work(con: duckdb.DuckDBPyConnection) -> None:
    # The caller's connection outlives the stage: give its memory back.
    for view in [f"gold_out_{t.name}" for t in GOLD_TABLES] + ["gold_metrics", "g_vs_pairs"]:
        con.execute(f"DROP VIEW IF EXISTS {view}")
    for name in ("g_vs_wilcoxon", "g_vs_trend"):
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)
    for table in WORK_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    for view in ("gold_enedis_in", "gold_dpe_src", "gold_ban_in"):
        con.execute(f"DROP VIEW IF EXISTS {view}")
