"""DPE dimensions: the cuts of gold `area_cuts` (filters, breakdowns, distributions).

A *cut* is the DPE of an area that share one value of one dimension: the apartments of a commune,
its DPE built before 1948, heated with gas, or labelled D. Gold computes, per area, year,
dimension and value, the DPE count, the label mixes and the vigintiles (5th … 95th percentile)
of the conventional consumption per m². Cuts exist from the commune up (`CUT_LEVELS`): streets
and IRIS hold too few DPE for a cut to survive suppression, and would multiply the table.

The population of a cut is every DPE at the area's Enedis-published buildings (the `n_dpe` of
`areas`, building-wide DPE included), so the values of one dimension add up to the area's
`n_dpe`. Values are slugs, not the ADEME wording; `UNKNOWN` holds the DPE without a value.
"""

from __future__ import annotations

from enum import StrEnum

from volt.domain.metrics import AreaLevel


class Dimension(StrEnum):
    """What a cut is taken on. `ALL` is the whole area (one value, `ALL_VALUE`)."""

    ALL = "all"
    ETIQUETTE_DPE = "etiquette_dpe"
    TYPE_BATIMENT = "type_batiment"
    PERIODE_CONSTRUCTION = "periode_construction"
    ENERGIE_CHAUFFAGE = "energie_chauffage"


ALL_VALUE = "all"
UNKNOWN = "unknown"

CUT_LEVELS = (
    AreaLevel.COMMUNE,
    AreaLevel.EPCI,
    AreaLevel.DEPARTEMENT,
    AreaLevel.REGION,
    AreaLevel.FRANCE,
)

# The DPE's own (published) label; the recomputed label is in the label counts of each cut.
ETIQUETTES = ("A", "B", "C", "D", "E", "F", "G")
TYPES_BATIMENT = ("maison", "appartement", "immeuble")
# ADEME's `periode_construction` values, in order, and their slugs.
PERIODES = {
    "avant 1948": "avant_1948",
    "1948-1974": "1948_1974",
    "1975-1977": "1975_1977",
    "1978-1982": "1978_1982",
    "1983-1988": "1983_1988",
    "1989-2000": "1989_2000",
    "2001-2005": "2001_2005",
    "2006-2012": "2006_2012",
    "2013-2021": "2013_2021",
    "après 2021": "apres_2021",
}
# `type_energie_principale_chauffage` grouped by carrier. The ADEME wording varies (wood comes in
# four forms, LPG in three); any other non-empty value is `autre`.
ENERGIES = (
    "electricite",
    "gaz_naturel",
    "fioul",
    "bois",
    "reseau_chaleur",
    "gpl",
    "charbon",
    "autre",
)

VALUES: dict[Dimension, tuple[str, ...]] = {
    Dimension.ALL: (ALL_VALUE,),
    Dimension.ETIQUETTE_DPE: (*ETIQUETTES, UNKNOWN),
    Dimension.TYPE_BATIMENT: TYPES_BATIMENT,  # silver rejects any other type
    Dimension.PERIODE_CONSTRUCTION: (*PERIODES.values(), UNKNOWN),
    Dimension.ENERGIE_CHAUFFAGE: (*ENERGIES, UNKNOWN),
}

# Vigintiles kept per cut: p05, p10 … p95 (p50 is the median, p25/p75 the quartiles).
VIGINTILES = tuple(range(5, 100, 5))


def vigintile_column(energy: str, percent: int) -> str:
    """`ep_p05` … `ef_p95`: the gold column of one vigintile (energy 'ep' or 'ef')."""
    return f"{energy}_p{percent:02d}"
