"""Helpers for ETL tests: write a tiny input directory, run bronze → silver, read silver back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from volt.etl.pipeline import FilesRun, run_etl
from volt.etl.reports import RunReport, StageReport
from volt.etl.transforms.duck import DuckConfig
from volt.etl.zones import Zones

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real"
SHARED_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "real"

ENEDIS_HEADER = (
    "annee;code_iris;nom_iris;numero_de_voie;indice_de_repetition;type_de_voie;libelle_de_voie;"
    "code_commune;nom_commune;segment_de_client;nombre_de_logements;"
    "consommation_annuelle_totale_de_l_adresse_mwh;"
    "consommation_annuelle_moyenne_par_site_de_l_adresse_mwh;"
    "consommation_annuelle_moyenne_de_la_commune_mwh;adresse;code_epci;code_departement;"
    "code_region;tri_des_adresses"
)


class NullProgress:
    """A progress sink without a screen: it keeps what the pipeline reported, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def stage(self, name: str, total: int | None) -> None:
        self.events.append(("stage", name))

    def advance(self, amount: int) -> None:
        self.events.append(("advance", str(amount)))

    def done(self, report: StageReport) -> None:
        self.events.append(("done", f"{report.stage}/{report.source}"))


@dataclass
class SilverRun:
    report: RunReport
    zones: Zones

    def stage(self, source: str) -> StageReport:
        return next(s for s in self.report.stages if s.stage == "silver" and s.source == source)

    def rows(self, source: str, order_by: str = "1") -> list[dict[str, Any]]:
        path = self.zones.silver(self.report.run_id) / source
        if not any(path.rglob("*.parquet")):
            return []
        rel = duckdb.sql(
            f"SELECT * FROM read_parquet('{path}/**/*.parquet', hive_partitioning=false) "
            f"ORDER BY {order_by}"
        )
        return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]

    def rejects(self, source: str) -> list[dict[str, Any]]:
        path = self.zones.silver(self.report.run_id) / "_rejects" / f"{source}.parquet"
        rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}') ORDER BY reason, raw")
        return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


def write_inputs(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


@pytest.fixture
def run_silver(tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(
        files: dict[str, str | bytes], year: int | None = None, departement: str | None = None
    ) -> SilverRun:
        input_dir = write_inputs(tmp_path / "input", files)
        zones = Zones(tmp_path / "zones")
        run = FilesRun(
            input_dir, zones, DuckConfig("512MB", 1), year, departement, stop_after="silver"
        )
        return SilverRun(run_etl(run, NullProgress()), zones)

    return run
