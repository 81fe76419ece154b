"""Readers that put every variant of the generated files back in one shape."""

from __future__ import annotations

import csv
import json
from datetime import date
from functools import cache
from pathlib import Path

from volt.etl.sources.registry import match_header, source_spec
from volt.etl.textfiles import inspect_file


def separator(path: Path) -> str:
    """`;` or `,`, as volt's bronze stage sniffs it."""
    return inspect_file(path).separator


def read_csv(path: Path, delimiter: str | None = None) -> tuple[list[str], list[dict[str, str]]]:
    delimiter = delimiter or separator(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def raw_header(path: Path) -> list[str]:
    """The header as written, BOM included."""
    with path.open(encoding="utf-8", newline="") as fh:
        first = fh.readline().rstrip("\n")
    return next(csv.reader([first], delimiter=separator(path)))


def dpe_records(path: Path) -> list[dict[str, object]]:
    """DPE rows of any variant with canonical keys (registry mapping) and the raw values."""
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            rows: list[dict[str, object]] = [json.loads(line) for line in fh]
        header = list(rows[0]) if rows else []
    else:
        header, text_rows = read_csv(path, ",")
        rows = [dict(r) for r in text_rows]
    mapping = match_header(source_spec("dpe"), header).mapping
    return [{canon: row[key] for canon, key in mapping.items()} for row in rows]


def number(value: object) -> float | None:
    """A DPE number as written: JSON number, `143`, `2.3` or with a decimal comma `"1208,4"`."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    return float(str(value).replace(",", "."))


def day(value: object) -> date:
    text = str(value)
    if "/" in text:
        d, m, y = text.split("/")
        return date(int(y), int(m), int(d))
    return date.fromisoformat(text)


@cache  # each sample is read once per session
def all_dpe(root: Path) -> list[dict[str, object]]:
    return [row for path in sorted((root / "dpe").iterdir()) for row in dpe_records(path)]


@cache
def all_enedis(root: Path) -> list[dict[str, str]]:
    """Enedis rows of every file with field-id keys (labels and data-fair spellings mapped)."""
    spec = source_spec("enedis")
    out: list[dict[str, str]] = []
    for path in sorted((root / "enedis").iterdir()):
        header, rows = read_csv(path)
        mapping = match_header(spec, header).mapping
        out.extend({canon: row[key] for canon, key in mapping.items()} for row in rows)
    return out


@cache
def all_ban(root: Path) -> list[dict[str, str]]:
    return [row for p in sorted((root / "ban").iterdir()) for row in read_csv(p, ";")[1]]


# Enedis abbreviations of street types, back to the full AFNOR word the BAN's nom_afnor starts with.
ENEDIS_TYPES = {
    "AV": "AVENUE", "BD": "BOULEVARD", "CRS": "COURS", "CHE": "CHEMIN", "IMP": "IMPASSE",
    "PL": "PLACE", "ALL": "ALLEE", "RTE": "ROUTE", "SQ": "SQUARE", "PAS": "PASSAGE",
    "MTE": "MONTEE", "TRA": "TRAVERSE", "RES": "RESIDENCE", "ESP": "ESPLANADE",
    "PROM": "PROMENADE", "RPT": "ROND POINT",
}  # fmt: skip
# Enedis indice de répétition -> BAN rep candidates (`B` is `bis` or `b`: ambiguous).
ENEDIS_REPS = {
    "": ("",), "B": ("bis", "b"), "BIS": ("bis",), "T": ("ter",), "TER": ("ter",),
    "A": ("a",), "C": ("c",),
}  # fmt: skip


def ban_index(root: Path) -> dict[tuple[str, str, str, str], str]:
    """(code_insee, numero, rep, nom_afnor) -> BAN id."""
    return {
        (b["code_insee"], b["numero"], b["rep"], b["nom_afnor"]): b["id"] for b in all_ban(root)
    }


def structured_match(
    row: dict[str, str], index: dict[tuple[str, str, str, str], str]
) -> str | None:
    """The BAN id of an Enedis row by exact structured match (IRIS → arrondissement), or None."""
    kind = ENEDIS_TYPES.get(row["type_de_voie"], row["type_de_voie"])
    voie = " ".join(p for p in (kind, row["libelle_de_voie"]) if p)
    insee = row["code_iris"][:5]
    for rep in ENEDIS_REPS[row["indice_de_repetition"]]:
        found = index.get((insee, row["numero_de_voie"], rep, voie))
        if found:
            return found
    return None
