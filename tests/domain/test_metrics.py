"""The metric registry (volt.domain.metrics): it covers the `areas` figures, reads only real
columns, gates every figure by real counts, and parses `metrics=` strictly."""

from __future__ import annotations

import re

import pytest

from volt.domain.metrics import (
    BY_SLUG,
    COUNT_COLUMNS,
    DEFAULT_CUT_METRICS,
    DEFAULT_METRICS,
    FILTERABLE_METRICS,
    METRICS,
    METRICS_PATTERN,
    AreaLevel,
    Kind,
    parse_metrics,
)
from volt.domain.privacy import Unit
from volt.errors import UsageError
from volt.etl.gold_schema import AREA_CUTS, AREAS

AREA_TYPES = dict(AREAS.columns)
# Keys, names and the suppression helper are not figures; label counts have their own route.
NOT_METRICS = {"level", "code", "annee", "name", "parent_level", "parent_code"}
NOT_METRICS |= {"code_departement", "min_building_dwellings"}
LABEL_COUNTS = {c for c in AREAS.column_names if c.startswith(("n_label_", "n_ges_"))}


def test_every_figure_of_areas_is_a_metric_and_every_metric_reads_areas() -> None:
    read = {column for m in METRICS for column in m.columns}
    assert read <= set(AREAS.column_names)
    figures = set(AREAS.column_names) - NOT_METRICS - LABEL_COUNTS
    assert figures == {m.column for m in METRICS}
    assert len(METRICS) == len(BY_SLUG) == 32


def test_counts_are_published_as_is_and_every_other_metric_is_gated_by_counts() -> None:
    assert COUNT_COLUMNS == (
        "n_buildings",
        "n_dwellings",
        "n_dpe",
        "n_dpe_dwelling",
        "elec_n_buildings",
        "elec_n_dwellings",
        "elec_n_dpe",
    )
    for metric in METRICS:
        assert (metric.kind is Kind.COUNT) == (not metric.gates), metric.slug
        for gate in metric.gates:
            assert gate.column in COUNT_COLUMNS
            assert AREA_TYPES[gate.column] == "INTEGER"
        if metric.kind is not Kind.COUNT:
            assert AREA_TYPES[metric.column] in ("DOUBLE", "INTEGER")


def test_the_gates_of_a_few_metrics() -> None:
    gates = {
        slug: [(g.column, g.unit) for g in BY_SLUG[slug].gates]
        for slug in (
            "dpe_ep_kwh_m2_median",
            "elec_dpe_ef_kwh_m2_mean",
            "metered_kwh_per_dwelling_mean",
            "metered_kwh_m2_median",
            "elec_metered_kwh_per_dwelling_mean",
            "share_inconsistent_label",
        )
    }
    assert gates == {
        "dpe_ep_kwh_m2_median": [("n_dpe_dwelling", Unit.DPE)],
        "elec_dpe_ef_kwh_m2_mean": [("elec_n_dpe", Unit.DPE)],
        "metered_kwh_per_dwelling_mean": [("n_dwellings", Unit.DWELLINGS)],
        "metered_kwh_m2_median": [("n_dwellings", Unit.DWELLINGS), ("n_dpe_dwelling", Unit.DPE)],
        "elec_metered_kwh_per_dwelling_mean": [
            ("elec_n_dwellings", Unit.DWELLINGS),
            ("elec_n_dpe", Unit.DPE),
        ],
        "share_inconsistent_label": [("n_dpe", Unit.DPE)],
    }


def test_means_and_shares_add_up_and_quantiles_do_not() -> None:
    kinds = {m.kind: m.additive for m in METRICS}
    assert kinds == {Kind.COUNT: False, Kind.MEAN: True, Kind.QUANTILE: False, Kind.SHARE: True}
    share = BY_SLUG["share_inconsistent_label"]
    assert (share.columns, share.decimals) == (("n_inconsistent_label", "n_dpe"), 4)


def test_metrics_default_to_a_small_set_and_keep_the_order_asked() -> None:
    assert [m.slug for m in parse_metrics(None, AreaLevel.COMMUNE)] == list(DEFAULT_METRICS)
    assert [m.slug for m in parse_metrics("", AreaLevel.COMMUNE)] == list(DEFAULT_METRICS)
    asked = "n_dwellings,dpe_ef_kwh_m2_p90,n_dwellings"
    assert [m.slug for m in parse_metrics(asked, AreaLevel.STREET)] == [
        "n_dwellings",
        "dpe_ef_kwh_m2_p90",
    ]


def test_unknown_metrics_are_named() -> None:
    with pytest.raises(UsageError) as one:
        parse_metrics("dpe_ef_kwh_m2_median,dpe_number", AreaLevel.COMMUNE)
    assert (one.value.message, one.value.hint) == (
        "Unknown metric: dpe_number.",
        "GET /v1/metrics lists the metric slugs.",
    )
    with pytest.raises(UsageError) as two:
        parse_metrics("x,dpe_ef_kwh_m2_median, n_dpe,", AreaLevel.COMMUNE)
    assert two.value.message == "Unknown metrics: x,  n_dpe, ."


def test_the_documented_pattern_is_what_the_parser_accepts() -> None:
    pattern = re.compile(METRICS_PATTERN)
    for raw in ("", "n_dpe", "n_dpe,dpe_ef_kwh_m2_p10,n_dpe"):
        assert pattern.match(raw)
        parse_metrics(raw, AreaLevel.FRANCE)
    for raw in (" n_dpe", "n_dpe,", "n_dpe,,n_dwellings", "N_DPE", "n_dpe_x"):
        assert not pattern.match(raw)
        with pytest.raises(UsageError):
            parse_metrics(raw, AreaLevel.FRANCE)


def test_under_a_dpe_filter_only_the_quantiles_a_cut_holds_exist() -> None:
    cut_columns = dict(AREA_CUTS.columns)
    cuts = {m.slug: m.cut for m in METRICS if m.cut is not None}
    figures = {slug: (cut.column, cut.gate.column) for slug, cut in cuts.items()}
    assert figures == {
        "dpe_ef_kwh_m2_median": ("ef_p50", "n_ef"),
        "dpe_ef_kwh_m2_p10": ("ef_p10", "n_ef"),
        "dpe_ef_kwh_m2_p90": ("ef_p90", "n_ef"),
        "dpe_ep_kwh_m2_median": ("ep_p50", "n_ep"),
        "dpe_ep_kwh_m2_p10": ("ep_p10", "n_ep"),
        "dpe_ep_kwh_m2_p90": ("ep_p90", "n_ep"),
    }
    assert tuple(figures) == FILTERABLE_METRICS
    for column, gate in figures.values():  # real columns of the cuts, gated by a real count
        assert (cut_columns[column], cut_columns[gate]) == ("DOUBLE", "INTEGER")
    assert all(cut.gate.unit is Unit.DPE for cut in cuts.values())
    assert all(BY_SLUG[m].kind is Kind.QUANTILE for m in figures)  # no complementary needed


def test_metrics_under_a_filter() -> None:
    chosen = parse_metrics(None, AreaLevel.COMMUNE, cut=True)
    assert (
        [m.slug for m in chosen]
        == list(DEFAULT_CUT_METRICS)
        == [
            "dpe_ep_kwh_m2_median",
            "dpe_ef_kwh_m2_median",
        ]
    )
    asked = parse_metrics("dpe_ef_kwh_m2_p10,dpe_ep_kwh_m2_p90", AreaLevel.FRANCE, cut=True)
    assert [m.slug for m in asked] == ["dpe_ef_kwh_m2_p10", "dpe_ep_kwh_m2_p90"]
    with pytest.raises(UsageError) as refused:
        parse_metrics("dpe_ep_kwh_m2_mean,dpe_ef_kwh_m2_median,n_dpe", AreaLevel.COMMUNE, cut=True)
    assert refused.value.message == "Not available under a DPE filter: dpe_ep_kwh_m2_mean, n_dpe."
    assert refused.value.hint == (
        "Under a filter: dpe_ef_kwh_m2_median, dpe_ef_kwh_m2_p10, dpe_ef_kwh_m2_p90, "
        "dpe_ep_kwh_m2_median, dpe_ep_kwh_m2_p10, dpe_ep_kwh_m2_p90 (GET /v1/metrics: "
        "`filterable`)."
    )
