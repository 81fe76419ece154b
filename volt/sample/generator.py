"""generate_sample: stream communes one by one into BAN, DPE and Enedis files in real formats.

Each commune draws from its own numpy Generator seeded with (seed, commune index), so the same
seed gives byte-identical files, and memory stays flat at national scale.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from volt.errors import UsageError
from volt.etl.sources.registry import SourceName
from volt.sample import enedis
from volt.sample.addresses import generate_addresses
from volt.sample.ban import ban_rows
from volt.sample.catalogue import Commune, catalogue
from volt.sample.departements import departement
from volt.sample.dpe_energy import energy_columns
from volt.sample.dpe_format import csv_rows, jsonl_lines
from volt.sample.dpe_location import (
    building_columns,
    geocoding_columns,
    identity_columns,
    privacy_columns,
)
from volt.sample.dpe_records import NumberBook, select_records
from volt.sample.output import (
    FileWritten,
    OutputFiles,
    ban_spec,
    day_first,
    dpe_spec,
    enedis_spec,
    existing_outputs,
)
from volt.sample.thermal import generate_dwellings

FIRST_YEAR, LAST_YEAR = 2018, 2026  # Enedis publishes from 2018; DPE dates reach 2026
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class VariantTotal:
    source: SourceName
    variant: str
    files: int
    rows: int
    bytes: int


@dataclass(frozen=True)
class SampleReport:
    outdir: Path
    seed: int
    communes: int
    years: tuple[int, ...]
    addresses: int
    dwellings: int
    files: tuple[FileWritten, ...]
    seconds: float

    def rows(self, source: SourceName | None = None) -> int:
        return sum(f.rows for f in self.files if source is None or f.source == source)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    def by_variant(self) -> tuple[VariantTotal, ...]:
        """Files, rows and bytes per source and file variant, in a stable order."""
        keys = sorted({(f.source, f.variant) for f in self.files})
        return tuple(
            VariantTotal(
                source,
                variant,
                sum(1 for f in self.files if (f.source, f.variant) == (source, variant)),
                sum(f.rows for f in self.files if (f.source, f.variant) == (source, variant)),
                sum(f.bytes for f in self.files if (f.source, f.variant) == (source, variant)),
            )
            for source, variant in keys
        )


def parse_years(raw: str) -> tuple[int, ...]:
    """`2021,2022,2023` → (2021, 2022, 2023); a clear UsageError for anything else."""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise UsageError(
            f"--years must be comma-separated years, got {raw!r}.", hint="e.g. --years 2021,2022"
        )
    return check_years([int(p) for p in parts])


def check_years(years: Sequence[int]) -> tuple[int, ...]:
    if not years:
        raise UsageError("At least one year is needed.", hint="e.g. --years 2022")
    bad = [y for y in years if not FIRST_YEAR <= y <= LAST_YEAR]
    if bad:
        raise UsageError(
            f"Years must be between {FIRST_YEAR} and {LAST_YEAR}, got {bad[0]}.",
            hint="Enedis publishes its residential consumption per address from 2018.",
        )
    if len(set(years)) != len(years):
        raise UsageError("A year is given twice.", hint="List each year once.")
    return tuple(sorted(years))


def check_request(outdir: Path, communes: int, years: Sequence[int]) -> tuple[int, ...]:
    """Validate a request before anything is written; the years, sorted."""
    year_list = check_years(list(years))
    available = len(catalogue())
    if not 1 <= communes <= available:
        raise UsageError(
            f"--communes must be between 1 and {available:,}, got {communes}.",
            hint="12 makes a demo of ≈ 10,000 addresses; the full catalogue is national scale.",
        )
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{outdir} exists and is not a directory.")
    if outdir.is_dir() and existing_outputs(outdir):
        raise UsageError(
            f"{outdir} already holds sample files (ban/, dpe/ or enedis/).",
            hint="Choose an empty directory or remove the old sample first.",
        )
    return year_list


def generate_sample(
    outdir: Path,
    *,
    communes: int = 12,
    years: Sequence[int] = (2021, 2022, 2023),
    seed: int = 42,
    on_progress: Progress | None = None,
) -> SampleReport:
    """Write a sample of the first `communes` of the catalogue in the three sources' formats."""
    year_list = check_request(outdir, communes, years)
    started = time.perf_counter()
    book = NumberBook()
    out = OutputFiles(outdir)
    addresses = dwellings = 0
    chosen = catalogue()[:communes]
    try:
        for done, commune in enumerate(chosen, start=1):
            n_addr, n_dw = _commune(commune, year_list, seed, book, out)
            addresses, dwellings = addresses + n_addr, dwellings + n_dw
            if on_progress is not None:
                on_progress(done, len(chosen))
    finally:
        files = out.close()
    return SampleReport(
        outdir, seed, communes, year_list, addresses, dwellings, files,
        time.perf_counter() - started,
    )  # fmt: skip


def _commune(
    commune: Commune, years: tuple[int, ...], seed: int, book: NumberBook, out: OutputFiles
) -> tuple[int, int]:
    """Generate one commune and append it to its département's files."""
    rng = np.random.default_rng([seed, commune.index])
    dep = departement(commune.dep)
    addr = generate_addresses(commune, rng)
    dw = generate_dwellings(addr, rng)
    meter = enedis.metering(rng, addr, dw)
    out.write_rows(ban_spec(dep.code), ban_rows(rng, addr))

    rec = select_records(rng, addr, dw, book, dep.digits)
    cols = identity_columns(rng, rec)
    cols.update(building_columns(addr, dw, rec))
    cols.update(energy_columns(rng, addr, dw, rec, dep.zone))
    cols.update(geocoding_columns(rng, addr, dw.address[rec.dwelling]))
    cols.update(privacy_columns(rng, addr, dw, rec))
    spec = dpe_spec(dep.code)
    if spec.jsonl:
        out.write_lines(spec, jsonl_lines(cols, rec.duplicate))
    else:
        out.write_rows(spec, csv_rows(cols, rec.duplicate, day_first=day_first(dep.code)))

    # Enedis text fields draw from their own stream: the DPE and BAN do not depend on --years.
    text_rng = np.random.default_rng([seed, commune.index, 0, 3])
    published = enedis.enedis_addresses(text_rng, addr, list(years), seed)
    for year in years:
        spec = enedis_spec(dep.code, year)
        rows = enedis.enedis_rows(commune, published, meter, year, seed, spec.variant)
        out.write_rows(spec, rows)
    return addr.n, dw.n
