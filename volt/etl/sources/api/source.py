"""The live sources as one pipeline input: a scope (year, département) fetched into a run's
bronze, and the BAN web geocoder that follows the national file in the gold stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from volt.etl.geocode.ban_web import BanWebGeocoder
from volt.etl.manifest import Manifest
from volt.etl.reports import StageReport
from volt.etl.sources.api.ademe import ademe_requests
from volt.etl.sources.api.ban_files import ban_file_requests
from volt.etl.sources.api.config import ApiConfig
from volt.etl.sources.api.enedis import enedis_requests
from volt.etl.sources.api.fetch import FetchProgress, FetchSummary, fetch_to_bronze
from volt.etl.sources.api.partitions import PartitionStore
from volt.etl.sources.api.plan import PartitionRequest
from volt.etl.zones import Zones

# Under the bronze zone, beside the runs: what every run shares (checkpointed partitions, the
# geocoder's answers), so that a rerun resumes or skips instead of asking again.
STORE_DIR = "_api"
GEOCODER_ANSWERS_DIR = "ban-geocoder"


def store_root(zones: Zones) -> Path:
    return zones.root / "bronze" / STORE_DIR


@dataclass
class ApiSource:
    """`volt.etl.pipeline.BronzeFetcher` over the Enedis, ADEME and BAN web APIs."""

    config: ApiConfig
    zones: Zones
    year: int | None
    departement: str | None
    progress: FetchProgress | None = None
    summary: FetchSummary | None = field(default=None, init=False)

    def requests(self) -> list[PartitionRequest]:
        dep = self.departement
        return [
            *enedis_requests(self.config, year=self.year, departement=dep),
            *ademe_requests(self.config, departement=dep),
            *ban_file_requests(self.config, departement=dep),
        ]

    def params(self) -> dict[str, object]:
        return {
            "enedis_api": self.config.enedis_api,
            "enedis": self.config.enedis_root,
            "ademe": self.config.ademe_root,
            "ademe_dataset": "legacy" if self.config.ademe_legacy else "current",
            "ban_files": self.config.ban_files_root,
            "ban_geocoder": self.config.ban_geocoder_root,
        }

    def to_bronze(self, bronze_dir: Path, run_id: str) -> tuple[Manifest, StageReport]:
        outcome = fetch_to_bronze(
            self.requests(),
            store=PartitionStore(store_root(self.zones)),
            bronze_dir=bronze_dir,
            run_id=run_id,
            client=self.config.client(),
            progress=self.progress,
        )
        self.summary = outcome.summary
        return outcome.manifest, outcome.report

    def details(self) -> dict[str, Any]:
        return {"fetch": self.summary.to_dict()} if self.summary else {}

    def geocoder(self) -> BanWebGeocoder:
        """The web geocoder for what the national files leave pending; answers kept in bronze."""
        return BanWebGeocoder(
            self.config.client,
            self.config.ban_geocoder_root,
            fallback_root=self.config.ban_geocoder_fallback_root,
            min_score=self.config.geocoder_min_score,
            min_margin=self.config.geocoder_min_margin,
            answers_dir=store_root(self.zones) / GEOCODER_ANSWERS_DIR,
        )
