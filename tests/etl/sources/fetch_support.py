"""Helpers of the fetch tests: a fast ApiConfig for a replay server, a fetch call, file hashes,
and silver read back from a bronze directory (to compare an API run with a files run)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from volt.etl.manifest import Manifest
from volt.etl.sources.api.config import ApiConfig
from volt.etl.sources.api.datafair import PagerLimits
from volt.etl.sources.api.fetch import FetchOutcome, FetchProgress, fetch_to_bronze
from volt.etl.sources.api.http import HostPolicy
from volt.etl.sources.api.partitions import STATE_NAME, PartitionStore
from volt.etl.sources.api.plan import PartitionRequest
from volt.etl.sources.files import copy_to_bronze
from volt.etl.sources.registry import SourceName
from volt.etl.transforms.duck import DuckConfig
from volt.etl.transforms.silver import SilverScope, build_silver, inspect_inputs
from volt.sample import generate_sample

ENEDIS = "consommation-annuelle-residentielle-par-adresse"
DPE, DPE_LEGACY = "dpe03existant", "dpe-v2-logements-existants"
# Short waits everywhere: the faults are replayed, not real, so patience only costs test time.
FAST = HostPolicy(
    requests=10_000, per_seconds=1.0, timeout_s=2.0, retries=4, backoff_base_s=0.01,
    backoff_max_s=0.05,
)  # fmt: skip
FAST_LIMITS = PagerLimits(max_restarts=2, empty_page_retries=2, empty_page_wait_s=0.01)


def make_world(root: Path) -> Path:
    """Lyon (69) only, 2022–2023: 945 Enedis rows, 1,812 DPE rows; generated in < 1 s."""
    generate_sample(root, communes=1, years=(2022, 2023), seed=42)
    return root


def config(url: str, *, explore: bool = False, legacy: bool = False, **policy: Any) -> ApiConfig:
    host = HostPolicy(**{**FAST.__dict__, **policy})
    return ApiConfig(
        enedis_api="explore" if explore else "data-fair",
        enedis_root=url,
        ademe_root=url,
        ademe_legacy=legacy,
        ban_files_root=url,
        ban_geocoder_root=url,
        ban_geocoder_fallback_root=None,
        policies={url: host},
        default_policy=host,
    )


def fetch(
    requests: Sequence[PartitionRequest],
    cfg: ApiConfig,
    store: Path,
    bronze: Path,
    limits: PagerLimits = FAST_LIMITS,
    progress: FetchProgress | None = None,
) -> FetchOutcome:
    return fetch_to_bronze(
        requests,
        store=PartitionStore(store),
        bronze_dir=bronze,
        run_id=bronze.name,
        client=cfg.client(),
        progress=progress,
        limits=limits,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_files(root: Path) -> dict[str, str]:
    """sha256 of every data file under a store or bronze directory (checkpoints excluded)."""
    return {
        str(p.relative_to(root)): sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in (STATE_NAME, "manifest.json")
    }


def silver_of(manifest: Manifest, bronze: Path, out: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Silver rows per source (sorted, without the bronze file name) of a bronze directory."""
    checked = inspect_inputs(manifest, bronze)
    build_silver(checked, out / "silver", out / "work", DuckConfig(), SilverScope())
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for source in ("enedis", "dpe", "ban"):
        if not any((out / "silver" / source).rglob("*.parquet")):
            continue
        rel = duckdb.sql(
            f"SELECT * EXCLUDE (_file) FROM read_parquet('{out}/silver/{source}/**/*.parquet', "
            "hive_partitioning=false)"
        )
        rows[source] = sorted(rel.fetchall(), key=repr)
    return rows


def files_run_silver(world: Path, sources: Sequence[SourceName], out: Path) -> dict[str, Any]:
    """The same world through the files adapter: the reference an API run must reproduce."""
    inputs = {s: sorted(p for p in (world / s).glob("*") if p.is_file()) for s in sources}
    manifest, _ = copy_to_bronze(dict(inputs), out / "bronze", "files")
    return silver_of(manifest, out / "bronze", out)


def fresh_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
