"""Blocking quality gates over the gold files, checked before any load into PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from volt.config import Settings
from volt.etl.gold_schema import GOLD_TABLES, GoldTable

GOLD_METRICS_NAME = "metrics.json"  # small numbers the gold stage measured (DPE join rate)

# (lon_min, lon_max, lat_min, lat_max), generous by a few km around the coasts. Keyed by
# département; every other code uses the metropolitan box (Corsica included). 975/977/978
# (Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin) appear in the BAN too.
FRANCE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "metropole": (-5.5, 10.0, 41.0, 51.5),
    "971": (-62.0, -60.9, 15.8, 16.6),  # Guadeloupe, Marie-Galante, La Désirade, Les Saintes
    "972": (-61.3, -60.8, 14.3, 14.95),  # Martinique
    "973": (-54.7, -51.5, 2.0, 5.9),  # Guyane
    "974": (55.1, 55.9, -21.5, -20.8),  # La Réunion
    "975": (-56.5, -56.1, 46.7, 47.2),  # Saint-Pierre-et-Miquelon
    "976": (44.9, 45.4, -13.1, -12.5),  # Mayotte
    "977": (-62.95, -62.75, 17.85, 17.98),  # Saint-Barthélemy
    "978": (-63.2, -62.95, 18.0, 18.15),  # Saint-Martin
}
# Coordinates come from the BAN. A systemic fault (swapped axes, Lambert-93 metres in lon/lat)
# puts whole communes outside; 10 stray points per million tolerate the few misplaced BAN points
# a national file carries without letting any systemic fault through.
COORD_MAX_OUTSIDE_SHARE = 1e-5
COORD_TABLES = ("buildings", "communes")

GEOCODED_SQL = "SELECT count(*) FILTER (WHERE geocode_status = 'matched'), count(*) FROM {scan}"

# Gold tables that must not be empty when their source had rows. dpe_vs_metered may be empty:
# it needs electrically heated buildings that also have a DPE.
REQUIRED_BY_SOURCE = {
    "enedis": ("enedis_consumption", "buildings", "areas"),
    "dpe": ("dpe",),
    "ban": ("ban_addresses", "communes"),
}


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    measured: float | None
    threshold: float
    message: str


@dataclass(frozen=True)
class QualityReport:
    gates: tuple[GateResult, ...]
    table_rows: Mapping[str, int]
    partition_counts: Mapping[str, Mapping[str, int]]  # table -> 'annee|code_departement' -> rows

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def render(self) -> list[str]:
        return [
            f"{'PASS' if g.passed else 'FAIL'} {g.name}: "
            f"{'-' if g.measured is None else f'{g.measured:.6g}'} "
            f"(threshold {g.threshold:g}) {g.message}"
            for g in self.gates
        ]

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "gates": [g.__dict__ for g in self.gates],
            "table_rows": dict(self.table_rows),
        }


@dataclass(frozen=True)
class GateThresholds:
    min_geocode_rate: float
    min_dpe_join_rate: float
    max_drop: float

    @classmethod
    def from_settings(cls, settings: Settings) -> GateThresholds:
        return cls(
            settings.gate_min_geocode_rate, settings.gate_min_dpe_join_rate, settings.gate_max_drop
        )


@dataclass(frozen=True)
class PreviousLoad:
    """The current load in PostgreSQL, as far as the gates need it."""

    data_version: str
    partition_counts: Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class GoldProfile:
    """What the gates measure in the gold files."""

    table_rows: Mapping[str, int]
    partition_counts: Mapping[str, Mapping[str, int]]
    outside_france: Mapping[str, tuple[int, int]]  # table -> (rows outside, rows with lon/lat)
    geocoded: tuple[int, int]  # (matched, all) Enedis rows


def gold_source(gold_dir: Path, table: GoldTable) -> str | None:
    """The parquet file (or partitioned directory) of a gold table, None when absent."""
    path = gold_dir / f"{table.name}.parquet"
    if path.is_dir():
        return str(path / "**" / "*.parquet") if any(path.rglob("*.parquet")) else None
    return str(path) if path.is_file() else None


def read_gold_metrics(gold_dir: Path) -> dict[str, float]:
    path = gold_dir / GOLD_METRICS_NAME
    if not path.is_file():
        return {}
    return {k: float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def source_rows_of(manifest: Mapping[str, object]) -> dict[str, int]:
    """Rows received per source, from a bronze manifest as written by Manifest.write."""
    rows: dict[str, int] = {}
    entries = manifest.get("entries", [])
    assert isinstance(entries, list)
    for entry in entries:
        rows[entry["source"]] = rows.get(entry["source"], 0) + int(entry["rows"])
    return rows


def check_gates(
    gold_dir: Path,
    *,
    source_rows: Mapping[str, int],
    thresholds: GateThresholds,
    previous: PreviousLoad | None,
    metrics: Mapping[str, float] | None = None,
) -> QualityReport:
    """Profile the gold files, then run every gate; `metrics` defaults to gold_metrics.json."""
    profile = profile_gold(gold_dir)
    gold_metrics = read_gold_metrics(gold_dir) if metrics is None else metrics
    return evaluate_gates(profile, source_rows, thresholds, previous, gold_metrics)


def evaluate_gates(
    profile: GoldProfile,
    source_rows: Mapping[str, int],
    thresholds: GateThresholds,
    previous: PreviousLoad | None,
    metrics: Mapping[str, float],
) -> QualityReport:
    gates = (
        volumes_gate(profile.table_rows, source_rows),
        *(coordinates_gate(t, *profile.outside_france.get(t, (0, 0))) for t in COORD_TABLES),
        geocode_gate(*profile.geocoded, thresholds.min_geocode_rate),
        dpe_join_gate(
            metrics.get("dpe_join_rate"),
            profile.table_rows.get("dpe", 0),
            thresholds.min_dpe_join_rate,
        ),
        drop_gate(profile.partition_counts, previous, thresholds.max_drop),
    )
    return QualityReport(gates, profile.table_rows, profile.partition_counts)


def volumes_gate(table_rows: Mapping[str, int], source_rows: Mapping[str, int]) -> GateResult:
    empty = sorted(
        table
        for source, tables in REQUIRED_BY_SOURCE.items()
        if source_rows.get(source, 0) > 0
        for table in tables
        if table_rows.get(table, 0) == 0
    )
    message = f"empty although their source had rows: {', '.join(empty)}" if empty else ""
    return GateResult("volumes", not empty, float(len(empty)), 0, message or "all present")


def coordinates_gate(table: str, outside: int, checked: int) -> GateResult:
    share = outside / checked if checked else 0.0
    passed = share <= COORD_MAX_OUTSIDE_SHARE
    message = f"{outside} of {checked} rows with coordinates lie outside France"
    return GateResult(f"coordinates_{table}", passed, share, COORD_MAX_OUTSIDE_SHARE, message)


def geocode_gate(matched: int, total: int, minimum: float) -> GateResult:
    if total == 0:
        return GateResult("geocode_rate", True, None, minimum, "no Enedis rows")
    rate = matched / total
    message = f"{matched} of {total} Enedis rows matched to a BAN address"
    return GateResult("geocode_rate", rate >= minimum, rate, minimum, message)


def dpe_join_gate(rate: float | None, dpe_rows: int, minimum: float) -> GateResult:
    if dpe_rows == 0:
        return GateResult("dpe_join_rate", True, rate, minimum, "no DPE rows")
    if rate is None:
        return GateResult(
            "dpe_join_rate", False, None, minimum, "the gold stage did not measure it"
        )
    message = "share of DPE whose address-level identifiant_ban is in the BAN file"
    return GateResult("dpe_join_rate", rate >= minimum, rate, minimum, message)


def drop_gate(
    counts: Mapping[str, Mapping[str, int]], previous: PreviousLoad | None, max_drop: float
) -> GateResult:
    if previous is None:
        return GateResult("partition_drop", True, None, max_drop, "no previous load")
    drops = sorted(
        (
            (1 - counts.get(table, {}).get(part, 0) / before, f"{table}[{part}]")
            for table, parts in previous.partition_counts.items()
            for part, before in parts.items()
            if before > 0
        ),
        reverse=True,
    )
    worst = drops[0][0] if drops else 0.0
    failing = [f"{name} -{drop:.0%}" for drop, name in drops if drop > max_drop]
    message = (
        f"dropped vs {previous.data_version[:12]}: {', '.join(failing[:5])}"
        if failing
        else f"no partition shrank by more than {max_drop:.0%}"
    )
    return GateResult("partition_drop", not failing, worst, max_drop, message)


def profile_gold(gold_dir: Path) -> GoldProfile:
    """Row counts, partition counts, coordinates outside France and the geocoding rate."""
    rows: dict[str, int] = {}
    partitions: dict[str, dict[str, int]] = {}
    outside: dict[str, tuple[int, int]] = {}
    geocoded = (0, 0)
    with duckdb.connect() as duck:
        for table in GOLD_TABLES:
            source = gold_source(gold_dir, table)
            if source is None:
                rows[table.name], partitions[table.name] = 0, {}
                continue
            scan = f"read_parquet('{_escape(source)}')"
            counts = duck.execute(
                f"SELECT {_partition_expr(table)} AS p, count(*) FROM {scan} GROUP BY 1"
            ).fetchall()
            partitions[table.name] = {str(p): int(n) for p, n in counts}
            rows[table.name] = sum(partitions[table.name].values())
            if table.name in COORD_TABLES:
                outside[table.name] = _fetch_pair(duck, _outside_sql(scan))
            if table.name == "enedis_consumption":
                geocoded = _fetch_pair(duck, GEOCODED_SQL.format(scan=scan))
    return GoldProfile(rows, partitions, outside, geocoded)


def _partition_expr(table: GoldTable) -> str:
    columns = set(table.column_names)
    year = "CAST(annee AS VARCHAR)" if "annee" in columns else "NULL"
    if "code_departement" in columns:
        dep = "code_departement"
    elif "code_insee" in columns:  # BAN addresses carry no département: overseas INSEE is 97x..
        dep = (
            "CASE WHEN code_insee LIKE '97%' THEN left(code_insee, 3) ELSE left(code_insee, 2) END"
        )
    else:  # dpe_vs_metered: areas of every level, one national partition per year
        dep = "NULL"
    return f"coalesce({year}, '*') || '|' || coalesce({dep}, '*')"


def _outside_sql(scan: str) -> str:
    def inside(box: tuple[float, float, float, float]) -> str:
        return f"(lon BETWEEN {box[0]} AND {box[1]} AND lat BETWEEN {box[2]} AND {box[3]})"

    cases = " ".join(
        f"WHEN '{dep}' THEN {inside(box)}"
        for dep, box in FRANCE_BOXES.items()
        if dep != "metropole"
    )
    check = f"CASE code_departement {cases} ELSE {inside(FRANCE_BOXES['metropole'])} END"
    located = "lon IS NOT NULL AND lat IS NOT NULL"
    return (
        f"SELECT count(*) FILTER (WHERE {located} AND NOT ({check})), "
        f"count(*) FILTER (WHERE {located}) FROM {scan}"
    )


def _fetch_pair(duck: duckdb.DuckDBPyConnection, query: str) -> tuple[int, int]:
    ((outside, checked),) = duck.execute(query).fetchall()
    return int(outside), int(checked)


def _escape(path: str) -> str:
    return path.replace("'", "''")
