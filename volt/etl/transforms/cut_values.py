"""ADEME wording → the slugs of volt.domain.cuts, as DuckDB macros the gold SQL calls.

The slugs have one source of truth (volt.domain.cuts); only how the ADEME wording maps onto
them lives here. `create_cut_macros` defines, on a connection, `cut_slug(text)` (a slug as an
ENUM of every slug: one byte, grouped faster than text; an unknown slug is an error),
`cut_etiquette(label)`, `cut_periode(periode_construction)`,
`cut_energie(type_energie_principale_chauffage)` (slugs, as `cut_slug`), `cut_label_rank(label)`
(A=1 … G=7, else NULL) and `cut_vigintiles()` (the quantiles of the vigintile columns, p05 …
p95, in column order).
"""

from __future__ import annotations

import duckdb

from volt.domain.cuts import ENERGIES, ETIQUETTES, PERIODES, UNKNOWN, VALUES, VIGINTILES
from volt.etl.transforms.duck import literal

OTHER_ENERGY = "autre"
# How each heating carrier starts, once trimmed, lower-cased and without accents. The ADEME
# list has 'Électricité' and "Électricité d'origine renouvelable utilisée dans le bâtiment",
# four wood forms ('Bois – Bûches', '– Granulés (pellets) ou briquettes', '– Plaquettes
# forestières', "– Plaquettes d'industrie"), LPG as 'GPL', 'Propane' or 'Butane'; older
# extracts add suffixes ('Gaz naturel - …'). Any other non-empty value is `autre`.
ENERGY_PREFIXES: dict[str, tuple[str, ...]] = {
    "electricite": ("electricite",),
    "gaz_naturel": ("gaz naturel",),
    "fioul": ("fioul",),
    "bois": ("bois",),
    "reseau_chaleur": ("reseau de chauffage urbain", "reseau de chaleur"),
    "gpl": ("gpl", "propane", "butane"),
    "charbon": ("charbon",),
}


def _norm(expr: str) -> str:
    # Trap: the same value comes as 'Électricité', 'électricité ' or 'ELECTRICITE' by vintage.
    return f"lower(strip_accents(trim({expr})))"


def energy_case(expr: str) -> str:
    """SQL mapping a heating-energy expression to its slug; NULL or blank is `unknown`."""
    whens = []
    for slug in ENERGIES:
        if slug == OTHER_ENERGY:
            continue
        tests = " OR ".join(
            f"starts_with({_norm(expr)}, {literal(p)})" for p in ENERGY_PREFIXES[slug]
        )
        whens.append(f"WHEN {tests} THEN {literal(slug)}")
    return (
        f"CASE WHEN NULLIF(trim({expr}), '') IS NULL THEN {literal(UNKNOWN)} "
        + " ".join(whens)
        + f" ELSE {literal(OTHER_ENERGY)} END"
    )


def periode_case(expr: str) -> str:
    """SQL mapping ADEME's `periode_construction` to its slug; anything else is `unknown`."""
    whens = " ".join(
        f"WHEN {_norm(literal(ademe))} THEN {literal(slug)}" for ademe, slug in PERIODES.items()
    )
    return f"CASE {_norm(expr)} {whens} ELSE {literal(UNKNOWN)} END"


def etiquette_case(expr: str) -> str:
    """SQL: the published label upper-cased when it is A … G, else `unknown`."""
    labels = ", ".join(literal(label) for label in ETIQUETTES)
    return (
        f"CASE WHEN upper(trim({expr})) IN ({labels}) THEN upper(trim({expr})) "
        f"ELSE {literal(UNKNOWN)} END"
    )


def slug_enum() -> str:
    """The ENUM type of every slug of every dimension, in volt.domain.cuts order."""
    slugs = dict.fromkeys(slug for values in VALUES.values() for slug in values)
    return "ENUM(" + ", ".join(literal(slug) for slug in slugs) + ")"


def create_cut_macros(con: duckdb.DuckDBPyConnection) -> None:
    labels = ", ".join(literal(label) for label in ETIQUETTES)
    con.execute(f"CREATE OR REPLACE TEMP MACRO cut_slug(t) AS CAST(t AS {slug_enum()})")
    con.execute(f"CREATE OR REPLACE TEMP MACRO cut_etiquette(t) AS cut_slug({etiquette_case('t')})")
    # Exact matches, as the label counts of buildings and areas compare labels.
    con.execute(
        f"CREATE OR REPLACE TEMP MACRO cut_label_rank(t) AS list_position([{labels}], t)::UTINYINT"
    )
    con.execute(f"CREATE OR REPLACE TEMP MACRO cut_periode(t) AS cut_slug({periode_case('t')})")
    con.execute(f"CREATE OR REPLACE TEMP MACRO cut_energie(t) AS cut_slug({energy_case('t')})")
    quantiles = ", ".join(f"{p / 100!r}" for p in VIGINTILES)
    con.execute(f"CREATE OR REPLACE TEMP MACRO cut_vigintiles() AS [{quantiles}]")
