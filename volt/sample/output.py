"""The sample's files: names, layouts and variants per département, and the writers behind them.

Files stay open while communes stream in (at most MAX_OPEN at a time, the least recently used are
closed and reopened in append mode), so memory stays flat whatever the number of communes.
"""

from __future__ import annotations

import csv
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TextIO

from volt.etl.sources.registry import SourceName
from volt.sample import ban, dpe_format, enedis
from volt.sample.catalogue import catalogue

MAX_OPEN = 48  # BAN + DPE + a few Enedis years for a dozen départements at once
BUFFER = 1 << 20
BOM = "\ufeff"  # the portals' CSV exports (Enedis, data-fair) start with one
OUR_FILES = ("ban/adresses-*.csv", "dpe/*.csv", "dpe/*.jsonl", "enedis/*.csv")


@dataclass(frozen=True)
class FileSpec:
    path: str  # relative to the output directory, with forward slashes
    source: SourceName
    variant: str  # "national" (BAN), a DpeVariant or an EnedisVariant
    departement: str
    year: int | None
    header: tuple[str, ...]
    delimiter: str = ";"
    bom: bool = False
    jsonl: bool = False


@dataclass(frozen=True)
class FileWritten:
    path: str  # relative to the output directory
    source: SourceName
    variant: str
    departement: str
    year: int | None
    rows: int  # records (a duplicated DPE line counts twice, a quoted newline once)
    bytes: int


@cache
def departement_ranks() -> dict[str, int]:
    """Order of first appearance of each département in the catalogue (fixed, seed-free)."""
    ranks: dict[str, int] = {}
    for commune in catalogue():
        ranks.setdefault(commune.dep, len(ranks))
    return ranks


def dpe_variant(dep: str) -> dpe_format.DpeVariant:
    """Rotates through the three variants so that any three départements show them all."""
    return dpe_format.DPE_VARIANTS[departement_ranks()[dep] % 3]


def day_first(dep: str) -> bool:
    """Every other legacy CSV writes its dates `dd/mm/yyyy`."""
    return dpe_variant(dep) == "legacy-csv" and (departement_ranks()[dep] // 3) % 2 == 1


def enedis_variant(dep: str) -> enedis.EnedisVariant:
    return enedis.ENEDIS_VARIANTS[(departement_ranks()[dep] + 2) % 3]


def ban_spec(dep: str) -> FileSpec:
    return FileSpec(f"ban/adresses-{dep}.csv", "ban", "national", dep, None, ban.HEADER)


def dpe_spec(dep: str) -> FileSpec:
    variant = dpe_variant(dep)
    header = dpe_format.header(variant)
    if variant == "current":
        # data-fair's `format=csv` export: `,`-separated, with a UTF-8 BOM.
        return FileSpec(
            f"dpe/dpe03existant-{dep}.csv", "dpe", variant, dep, None, header, ",", bom=True
        )
    legacy = f"dpe/dpe-v2-logements-existants-{dep}"
    if variant == "legacy-jsonl":
        return FileSpec(f"{legacy}.jsonl", "dpe", variant, dep, None, header, jsonl=True)
    return FileSpec(f"{legacy}.csv", "dpe", variant, dep, None, header, ",")


def enedis_spec(dep: str, year: int) -> FileSpec:
    variant = enedis_variant(dep)
    path = f"enedis/consommation-annuelle-residentielle-par-adresse-{year}-{dep}.csv"
    # The portal's export is `;` with a BOM; data-fair's `format=csv` is `,` with a BOM too.
    delimiter = "," if variant == "data-fair" else ";"
    return FileSpec(
        path,
        "enedis",
        variant,
        dep,
        year,
        enedis.header(variant),
        delimiter,
        bom=variant in ("portal-labels", "data-fair"),
    )


def existing_outputs(outdir: Path) -> list[Path]:
    return sorted(p for pattern in OUR_FILES for p in outdir.glob(pattern))


class OutputFiles:
    """Writes rows to the files of a sample, opening each at most MAX_OPEN at a time."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self._rows: dict[str, int] = {}
        self._specs: dict[str, FileSpec] = {}
        self._open: OrderedDict[str, TextIO] = OrderedDict()

    def _handle(self, spec: FileSpec) -> TextIO:
        handle = self._open.get(spec.path)
        if handle is not None:
            self._open.move_to_end(spec.path)
            return handle
        if len(self._open) >= MAX_OPEN:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        path = self.outdir / spec.path
        first = spec.path not in self._specs
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("w" if first else "a", encoding="utf-8", newline="", buffering=BUFFER)
        if first:
            self._specs[spec.path] = spec
            self._rows[spec.path] = 0
            if spec.bom:
                handle.write(BOM)
            if not spec.jsonl:
                self._writer(spec, handle).writerow(spec.header)
        self._open[spec.path] = handle
        return handle

    @staticmethod
    def _writer(spec: FileSpec, handle: TextIO) -> csv.Writer:  # type: ignore[name-defined]
        return csv.writer(
            handle, delimiter=spec.delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
        )

    def write_rows(self, spec: FileSpec, rows: list[tuple[object, ...]]) -> None:
        handle = self._handle(spec)
        self._writer(spec, handle).writerows(rows)
        self._rows[spec.path] += len(rows)

    def write_lines(self, spec: FileSpec, lines: list[str]) -> None:
        self._handle(spec).writelines(lines)
        self._rows[spec.path] += len(lines)

    def close(self) -> tuple[FileWritten, ...]:
        while self._open:
            _, handle = self._open.popitem()
            handle.close()
        return tuple(
            FileWritten(
                spec.path,
                spec.source,
                spec.variant,
                spec.departement,
                spec.year,
                self._rows[path],
                (self.outdir / path).stat().st_size,
            )
            for path, spec in sorted(self._specs.items())
        )
