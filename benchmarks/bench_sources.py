"""Benchmark: the live-source fetchers and the BAN web geocoder against a local replay server.

    python benchmarks/bench_sources.py                       # 40-commune world, 2,000 addresses
    python benchmarks/bench_sources.py --communes 200 --addresses 5000

The replay server (`volt replay serve`, its own process) serves a generated sample as the
Enedis, ADEME and BAN hosts would. Measured, each from an empty partition store:
1. Enedis through data-fair pages (10,000 rows a page) and through an Explore CSV export, one
   partition per département of the world (every year);
2. DPE through data-fair pages (dpe03existant, the columns volt selects), per département;
3. geocoding N distinct Enedis addresses through batch `POST /search/csv` (5,000 lines a chunk)
   versus one `GET /search` per address, both under the BAN's public quota (50 requests/s) that
   volt applies, and once more without any quota to show the per-request cost alone.
Prints rows/s and addresses/s side by side with the speed-up of the batch geocoder. The
figures are the client's and the local server's on one machine: they rank the strategies; the
public hosts add network latency (which favours batching further) and bandwidth throttling.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_api import free_port, wait_for

from volt.config import load_settings
from volt.etl.geocode.ban_web import BanWebGeocoder
from volt.etl.geocode.ban_web_answers import PendingAddress
from volt.etl.sources.api.ademe import ademe_requests
from volt.etl.sources.api.config import ApiConfig
from volt.etl.sources.api.enedis import enedis_requests
from volt.etl.sources.api.fetch import fetch_to_bronze
from volt.etl.sources.api.http import HostPolicy, HttpClient
from volt.etl.sources.api.partitions import PartitionStore
from volt.etl.sources.registry import source_spec
from volt.etl.sources.replay import World
from volt.sample import generate_sample

YEARS = (2022, 2023)
ENEDIS_DATASET = str(source_spec("enedis").settings["dataset_id"])
# No quota at all: what the per-request cost alone gives (never what volt sends to a real host).
UNTHROTTLED = HostPolicy(requests=1_000_000, per_seconds=1.0, concurrency=8)
# The BAN's public quota as volt applies it to the geocoder's host (registry.toml). Given
# explicitly: here one replay server stands for every host, and ApiConfig would give that one
# host the strictest quota of all sources (data-fair's 100 per 5 s).
BAN = source_spec("ban").settings
BAN_QUOTA = HostPolicy(requests=int(BAN["rate_requests"]), per_seconds=float(BAN["rate_seconds"]))


@contextmanager
def replay(world: Path, out: Path) -> Iterator[str]:
    port = free_port()
    log = out / "replay.log"
    command = [sys.executable, "-m", "volt.cli.main", "replay", "serve", str(world)]
    with log.open("w") as fh:
        process = subprocess.Popen([*command, "--port", str(port)], stdout=fh, stderr=fh)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/data-fair/api/v1/datasets/dpe03existant", process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def config_for(base: str, enedis_api: str = "data-fair") -> ApiConfig:
    return ApiConfig.from_settings(
        load_settings(
            enedis_api=enedis_api,
            enedis_api_url=base,
            ademe_api_url=base,
            ban_files_url=base,
            ban_api_url=base,
            ban_fallback_api_url="",
        )
    )


def fetch_rows(
    config: ApiConfig, source: str, departements: list[str], out: Path
) -> tuple[int, float, int, float]:
    """Rows, seconds, requests and quota waits of one fetch of the world's départements (every
    year), from an empty store."""
    requests = [
        request
        for dep in departements
        for request in (
            enedis_requests(config, year=None, departement=dep)
            if source == "enedis"
            else ademe_requests(config, departement=dep)
        )
    ]
    with tempfile.TemporaryDirectory(dir=out) as scratch:
        root = Path(scratch)
        client = config.client()
        started = time.perf_counter()
        outcome = fetch_to_bronze(
            requests, store=PartitionStore(root / "store"), bronze_dir=root / "bronze",
            run_id="bench", client=client,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        return outcome.summary.rows, seconds, client.stats.requests, client.stats.waited_s


def addresses(world: Path, limit: int) -> list[PendingAddress]:
    """Distinct Enedis addresses of the world, as the geocoders receive them."""
    seen: dict[tuple[str, ...], PendingAddress] = {}
    # The replay world reads every spelling and delimiter the sample writes.
    for row in World.load(world).rows(ENEDIS_DATASET):
        number, index = row.get("numero_de_voie"), row.get("indice_de_repetition") or None
        kind, name = row.get("type_de_voie"), row.get("libelle_de_voie")
        adresse = row.get("adresse") or " ".join(p for p in (number, index, kind, name) if p)
        commune = str(row["code_commune"])
        if (adresse, commune) in seen:
            continue
        insee = str(row.get("code_iris") or commune)[:5]  # the arrondissement in PLM
        seen[adresse, commune] = PendingAddress(
            len(seen) + 1, number, index, kind, name, adresse, commune, insee,
            row.get("nom_commune"),
        )  # fmt: skip
        if len(seen) == limit:
            break
    return list(seen.values())


def geocode(
    config: ApiConfig, rows: list[PendingAddress], batch: bool, quota: HostPolicy
) -> tuple[float, int, int]:
    """Seconds, requests and matched rows for one strategy."""

    def client() -> HttpClient:
        return HttpClient({}, default=quota)

    geocoder = BanWebGeocoder(
        client, config.ban_geocoder_root, min_score=config.geocoder_min_score,
        min_margin=config.geocoder_min_margin,
    )  # fmt: skip
    started = time.perf_counter()
    decisions = geocoder.geocode_rows(rows) if batch else geocoder.geocode_one_by_one(rows)
    seconds = time.perf_counter() - started
    assert geocoder.report is not None
    matched = sum(1 for d in decisions.values() if d.decided and d.ban_id)
    return seconds, geocoder.report.requests, matched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communes", type=int, default=40)
    parser.add_argument("--addresses", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("bench-out/sources"))
    args = parser.parse_args()
    out = args.out.resolve()
    world = out / f"world-{args.communes}"
    if not (world / ".complete").exists():
        print(f"Generating a {args.communes}-commune world in {world} …", flush=True)
        generate_sample(world, communes=args.communes, years=YEARS, seed=7)
        (world / ".complete").touch()

    lines: list[tuple[str, str, str, str, str]] = []
    departements = sorted(
        {str(r["code_departement"]) for r in World.load(world).rows(ENEDIS_DATASET)}
    )
    with replay(world, out) as base:
        for label, config, source in (
            ("Enedis, data-fair pages", config_for(base), "enedis"),
            ("Enedis, Explore CSV export", config_for(base, "explore"), "enedis"),
            ("DPE, data-fair pages", config_for(base), "dpe"),
        ):
            rows, seconds, requests, waited = fetch_rows(config, source, departements, out)
            rate = f"{rows / seconds:,.0f} rows/s ({waited:.1f} s in quota waits)"
            lines.append((label, f"{rows:,} rows", f"{requests:,}", f"{seconds:.2f} s", rate))
        config = config_for(base)
        rows_ = addresses(world, args.addresses)
        figures = {}
        for label, batch, quota in (
            ("/search/csv batches, BAN quota", True, BAN_QUOTA),
            ("/search one by one, BAN quota", False, BAN_QUOTA),
            ("/search/csv batches, no quota", True, UNTHROTTLED),
            ("/search one by one, no quota", False, UNTHROTTLED),
        ):
            seconds, requests, matched = geocode(config, rows_, batch, quota)
            figures[label] = seconds
            lines.append((f"geocode {label}", f"{len(rows_):,} addresses ({matched:,} matched)",
                          f"{requests:,}", f"{seconds:.2f} s",
                          f"{len(rows_) / seconds:,.0f} addresses/s"))  # fmt: skip

    width = max(len(line[0]) for line in lines)
    print(f"\n{'what':<{width}}  {'volume':>34}  {'requests':>8}  {'time':>9}  rate")
    for what, volume, requests_, seconds_, rate in lines:
        print(f"{what:<{width}}  {volume:>34}  {requests_:>8}  {seconds_:>9}  {rate}")
    for quota_label in ("BAN quota", "no quota"):
        batch = figures[f"/search/csv batches, {quota_label}"]
        single = figures[f"/search one by one, {quota_label}"]
        print(f"batch geocoding vs one request per address ({quota_label}): "
              f"{single / batch:,.1f}× faster")  # fmt: skip
    print("client and replay server share the machine's cores; see the module docstring.")


if __name__ == "__main__":
    main()
