"""The metric registry: every figure the statistics routes publish from the `areas` table.

One table says, per metric, what it is (slug, label, unit, description), which `areas` columns it
reads, at which levels it exists and which counts gate it (DESIGN §3). Validation of `metrics=`,
the SQL (volt/stats/queries.py builds it from the column names, code constants here, never client
text), suppression and `GET /v1/metrics` all read it.

A metric that also exists under a DPE filter (a cut of `area_cuts`, volt.domain.cuts) says which
column of the cut it reads there and which count of the cut gates it (`cut`). Cuts hold counts,
label mixes and vigintiles, so only the DPE quantiles have one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from volt.domain.privacy import Unit
from volt.errors import UsageError


class AreaLevel(StrEnum):
    """The levels of the `areas` table, from the smallest to the whole country."""

    STREET = "street"
    IRIS = "iris"
    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"
    FRANCE = "france"


ALL_LEVELS = tuple(AreaLevel)


class Kind(StrEnum):
    """How a metric behaves under aggregation, which decides how it is protected."""

    COUNT = "count"  # the counts every aggregate carries: published as they are
    MEAN = "mean"  # mean × its count adds up over sub-areas: recoverable by subtraction
    SHARE = "share"  # part ÷ count: adds up the same way
    QUANTILE = "quantile"  # median, p10, p90: not additive, so primary suppression only


@dataclass(frozen=True)
class Gate:
    """A count column of `areas` and the threshold unit it is measured against."""

    column: str
    unit: Unit


@dataclass(frozen=True)
class CutFigure:
    """A metric under a DPE filter: the `area_cuts` column it reads and the cut's count gating
    it (the cut's DPE with that energy figure)."""

    column: str
    gate: Gate


@dataclass(frozen=True)
class Metric:
    slug: str
    label: str
    unit: str
    description: str
    kind: Kind
    column: str  # the `areas` column read (numerator of a share)
    denominator: str | None = None  # shares: column ÷ denominator
    gates: tuple[Gate, ...] = ()
    levels: tuple[AreaLevel, ...] = ALL_LEVELS
    decimals: int | None = None  # rounding of published values (None: as stored)
    cut: CutFigure | None = None  # the metric under a DPE filter, when it exists there

    @property
    def additive(self) -> bool:
        """Sums over sub-areas (mean × count, part of a share): complementary suppression."""
        return self.kind in (Kind.MEAN, Kind.SHARE)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,) if self.denominator is None else (self.column, self.denominator)


DWELLINGS = Gate("n_dwellings", Unit.DWELLINGS)
DPE_DWELLING = Gate("n_dpe_dwelling", Unit.DPE)
DPE_ALL = Gate("n_dpe", Unit.DPE)
ELEC_DWELLINGS = Gate("elec_n_dwellings", Unit.DWELLINGS)
ELEC_DPE = Gate("elec_n_dpe", Unit.DPE)

KWH_M2 = "kWh/m²/yr"
_COUNTS = (
    ("n_buildings", "Buildings", "buildings",
     "BAN addresses where Enedis publishes (≥ 10 dwellings)."),
    ("n_dwellings", "Dwellings", "dwellings", "Residential delivery points Enedis meters there."),
    ("n_dpe", "DPE", "DPE", "DPE at those addresses, building-wide (immeuble) DPE included."),
    ("n_dpe_dwelling", "Dwelling DPE", "DPE", "Apartment and house DPE with a surface."),
    ("elec_n_buildings", "Electrically heated buildings", "buildings",
     "Buildings where half or more of the dwelling DPE heat with electricity."),
    ("elec_n_dwellings", "Dwellings in electrically heated buildings", "dwellings",
     "Enedis dwellings of the electrically heated buildings."),
    ("elec_n_dpe", "Dwelling DPE of electrically heated buildings", "DPE",
     "The DPE behind the elec_ per-m² figures."),
)  # fmt: skip
_STAT_TEXT = {
    "mean": ("mean", "Mean"),
    "median": ("median", "Median"),
    "p10": ("10th percentile", "P10"),
    "p90": ("90th percentile", "P90"),
}
_ENERGY_TEXT = {
    "ef": ("final energy", "conventional five-use final energy (kWhEF/m²/yr)"),
    "ep": ("primary energy", "conventional five-use primary energy (kWhEP/m²/yr, the label's)"),
}
_ELEC_TEXT = " Electrically heated buildings only."
# The quantiles a cut's vigintiles hold (volt.domain.cuts.VIGINTILES): median, p10, p90.
_CUT_PERCENT = {"median": 50, "p10": 10, "p90": 90}


def _count(column: str, label: str, unit: str, description: str) -> Metric:
    return Metric(column, label, unit, description, Kind.COUNT, column)


def _dpe_stats(prefix: str, gate: Gate) -> list[Metric]:
    metrics = []
    for energy, (short, long) in _ENERGY_TEXT.items():
        for stat, (stat_text, stat_label) in _STAT_TEXT.items():
            kind = Kind.MEAN if stat == "mean" else Kind.QUANTILE
            column = f"{prefix}dpe_{energy}_kwh_m2_{stat}"
            description = f"DPE {long}: {stat_text} over the area's dwelling DPE."
            label = f"{stat_label} DPE {short} per m²"
            if prefix:
                description += _ELEC_TEXT
                label += " (electric heating)"
            cut = None
            if not prefix and stat in _CUT_PERCENT:
                percent = _CUT_PERCENT[stat]
                cut = CutFigure(f"{energy}_p{percent:02d}", Gate(f"n_{energy}", Unit.DPE))
            metrics.append(
                Metric(
                    column,
                    label,
                    KWH_M2,
                    description,
                    kind,
                    column,
                    gates=(gate,),
                    decimals=1,
                    cut=cut,
                )
            )
    return metrics


def _metered(prefix: str, per_dwelling: tuple[Gate, ...], per_m2: tuple[Gate, ...]) -> list[Metric]:
    texts = {
        "kwh_per_dwelling": (
            "kWh/dwelling/yr",
            "metered electricity per dwelling",
            "Enedis metered electricity per dwelling (all electric uses, not climate-corrected)",
            per_dwelling,
        ),
        "kwh_m2": (
            KWH_M2,
            "metered electricity per m²",
            "Enedis kWh per dwelling ÷ the mean DPE surface at the address, per building",
            per_m2,
        ),
    }
    metrics = []
    for what, (unit, short, long, gates) in texts.items():
        for stat in ("mean", "median"):
            kind = Kind.MEAN if stat == "mean" else Kind.QUANTILE
            column = f"{prefix}metered_{what}_{stat}"
            weighting = (
                " (dwelling-weighted)" if what == "kwh_per_dwelling" and stat == "mean" else ""
            )
            description = f"{long}: {_STAT_TEXT[stat][0]}{weighting}."
            label = f"{_STAT_TEXT[stat][1]} {short}"
            if prefix:
                description += _ELEC_TEXT
                label += " (electric heating)"
            metrics.append(
                Metric(column, label, unit, description, kind, column, gates=gates, decimals=1)
            )
    return metrics


def _build() -> tuple[Metric, ...]:
    shares = [
        Metric(
            "share_inconsistent_label",
            "Share of inconsistent labels",
            "share",
            "Share of DPE whose published label differs from the one recomputed from their own "
            "figures under the rules of their date (beyond rounding).",
            Kind.SHARE,
            "n_inconsistent_label",
            denominator="n_dpe",
            gates=(DPE_ALL,),
            decimals=4,
        )
    ]
    return (
        *(_count(*row) for row in _COUNTS),
        *_dpe_stats("", DPE_DWELLING),
        *_dpe_stats("elec_", ELEC_DPE),
        *_metered("", (DWELLINGS,), (DWELLINGS, DPE_DWELLING)),
        *_metered("elec_", (ELEC_DWELLINGS, ELEC_DPE), (ELEC_DWELLINGS, ELEC_DPE)),
        *shares,
    )


METRICS: tuple[Metric, ...] = _build()
BY_SLUG = {metric.slug: metric for metric in METRICS}
COUNT_COLUMNS = tuple(m.column for m in METRICS if m.kind is Kind.COUNT)
# Shown when `metrics=` is not given: the DPE and the meter, side by side.
DEFAULT_METRICS = (
    "dpe_ep_kwh_m2_median",
    "dpe_ef_kwh_m2_median",
    "metered_kwh_per_dwelling_mean",
    "metered_kwh_m2_median",
)


# Under a DPE filter: the metrics a cut holds, and those shown when `metrics=` is not given.
FILTERABLE_METRICS = tuple(metric.slug for metric in METRICS if metric.cut is not None)
DEFAULT_CUT_METRICS = ("dpe_ep_kwh_m2_median", "dpe_ef_kwh_m2_median")

_SLUGS = "|".join(metric.slug for metric in METRICS)
# What `metrics=` accepts, as a regular expression (for the OpenAPI document).
METRICS_PATTERN = rf"^(({_SLUGS})(,({_SLUGS}))*)?$"


def parse_metrics(raw: str | None, level: AreaLevel, *, cut: bool = False) -> tuple[Metric, ...]:
    """The metrics a comma-separated `metrics=` names, in its order (defaults when empty);
    a slug named twice is kept once. Strict: `METRICS_PATTERN` is what the API documents.
    `cut`: under a DPE filter, where only the FILTERABLE_METRICS exist.

    Raises UsageError naming every unknown slug, or the metrics that do not exist at `level`
    or under a filter.
    """
    defaults = DEFAULT_CUT_METRICS if cut else DEFAULT_METRICS
    slugs = list(dict.fromkeys(raw.split(","))) if raw else list(defaults)
    unknown = [s for s in slugs if s not in BY_SLUG]
    if unknown:
        raise UsageError(
            f"Unknown metric{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            hint="GET /v1/metrics lists the metric slugs.",
        )
    absent = [s for s in slugs if level not in BY_SLUG[s].levels]
    if absent:
        raise UsageError(
            f"Not published at level {level.value}: {', '.join(absent)}.",
            hint="GET /v1/metrics lists the levels of each metric.",
        )
    missing = [s for s in slugs if cut and BY_SLUG[s].cut is None]
    if missing:
        raise UsageError(
            f"Not available under a DPE filter: {', '.join(missing)}.",
            hint=f"Under a filter: {', '.join(FILTERABLE_METRICS)} "
            "(GET /v1/metrics: `filterable`).",
        )
    return tuple(BY_SLUG[s] for s in slugs)
