"""Silver → gold as one stage sequence: label the DPE, geocode Enedis, build the gold tables.

Reads only the run's silver zone; writes the run's gold zone (the downloadable product) and
returns the stage reports, so that the pipeline stays free of SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from volt.errors import VoltError
from volt.etl.geocode import Geocoder, GeocodeReport, geocode_enedis
from volt.etl.geocode.ban_file import BanFileGeocoder
from volt.etl.reports import StageReport
from volt.etl.transforms.duck import DuckConfig, connect, literal
from volt.etl.transforms.gold import GoldReport, build_gold
from volt.etl.transforms.labels import create_labelled_dpe

GEOCODED_FILE = "enedis_geocoded.parquet"


@dataclass(frozen=True)
class GoldOutcome:
    geocode: GeocodeReport
    gold: GoldReport
    stages: tuple[StageReport, ...]


def silver_glob(silver_dir: Path, source: str) -> str:
    return str(silver_dir / source / "**" / "*.parquet")


def silver_to_gold(
    silver_dir: Path,
    gold_dir: Path,
    work_dir: Path,
    duck: DuckConfig,
    extra_geocoders: Sequence[Geocoder] = (),
) -> GoldOutcome:
    """`extra_geocoders` run after the national BAN file, over the addresses it left pending."""
    try:
        return _silver_to_gold(silver_dir, gold_dir, work_dir, duck, extra_geocoders)
    except duckdb.OutOfMemoryException as exc:
        raise VoltError(
            f"The gold stage ran out of memory under the DuckDB cap of {duck.memory_limit}.",
            hint="Raise VOLT_DUCKDB_MEMORY_LIMIT (about 2 GB per 5 M DPE) or run one "
            "département at a time with --departement.",
        ) from exc


def _silver_to_gold(
    silver_dir: Path,
    gold_dir: Path,
    work_dir: Path,
    duck: DuckConfig,
    extra_geocoders: Sequence[Geocoder],
) -> GoldOutcome:
    con = connect(duck)
    try:
        # Trap: hive folders (code_departement=06) would re-type codes; the columns are in files.
        con.execute(
            "CREATE OR REPLACE TEMP VIEW silver_dpe AS SELECT * FROM read_parquet("
            f"{literal(silver_glob(silver_dir, 'dpe'))}, hive_partitioning = false)"
        )
        create_labelled_dpe(con)
        geocoded = work_dir / GEOCODED_FILE
        ban = silver_glob(silver_dir, "ban")
        chain = [BanFileGeocoder(ban), *extra_geocoders]
        geocode = geocode_enedis(con, silver_glob(silver_dir, "enedis"), ban, geocoded, chain)
        gold = build_gold(
            con,
            enedis_geocoded=str(geocoded),
            dpe_view="labelled_dpe",
            ban_parquet=silver_glob(silver_dir, "ban"),
            gold_dir=gold_dir,
        )
    finally:
        con.close()
    return GoldOutcome(geocode, gold, (_geocode_stage(geocode), gold.stage_report()))


def _geocode_stage(report: GeocodeReport) -> StageReport:
    """Geocoding keeps every row: out = in; the statuses are reported as flags."""
    return StageReport(
        stage="geocode",
        source="enedis",
        rows_in=report.rows_in,
        rows_out=report.rows_in,
        rows_rejected=0,
        rows_flagged=report.ambiguous + report.not_found,
        seconds=report.seconds,
        flags={"ambiguous": report.ambiguous, "not_found": report.not_found, **report.by_method},
    )
