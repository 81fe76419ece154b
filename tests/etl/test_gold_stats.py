"""dpe_vs_metered tests: Wilcoxon and Kendall equal scipy's (batched or not), NULL under 10."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from tests.etl.test_gold_world import World, ban, dpe, enedis, rows
from volt.etl.transforms.gold_stats import Groups, kendall_by_group, wilcoxon_by_group

GAS = {"is_electric_heating": False, "type_energie_principale_chauffage": "Gaz naturel"}


def paired_world() -> World:
    """Toulouse 2022: 11 electric D buildings, 4 electric F buildings, 1 gas D building."""
    world = World()
    specs = [("D", 100.0 + 7 * i, 40.0 + 3.7 * i + 1.3 * (i % 3) + 6 * (i % 2)) for i in range(11)]
    specs += [("F", 300.0 + 11 * i, 30.0 + 2.1 * i) for i in range(4)]
    for i, (label, ef, mwh) in enumerate(specs):
        ban_id = f"31555_1000_{i + 1:05d}"
        world.ban.append(ban(ban_id, "Rue Longue", 1.4 + i / 100, 43.6))
        world.enedis.append(enedis(ban_id, 2022, 10, mwh))
        world.dpe.append(dpe(f"T{i}", ban_id, label, 50.0, ef))
    # A second DPE in one building: still one pair (no pseudo-replication).
    world.dpe.append(dpe("T0bis", "31555_1000_00001", "D", 50.0, 100.0))
    gas_id = "31555_1000_00099"
    world.ban.append(ban(gas_id, "Rue Longue", 1.5, 43.6))
    world.enedis.append(enedis(gas_id, 2022, 12, 70.0))
    world.dpe.append(dpe("G0", gas_id, "D", 60.0, 150.0, **GAS))
    return world


@pytest.fixture
def gold_dir(tmp_path: Path) -> Path:
    return paired_world().build(tmp_path)[1]


def test_wilcoxon_and_kendall_equal_scipy_on_building_pairs(gold_dir: Path) -> None:
    pairs = rows(gold_dir, "buildings", "is_electric_heating", "ban_id")
    d = [p for p in pairs if p["building_label"] == "D"]
    diff_d = [p["metered_kwh_m2"] - p["dpe_ef_kwh_m2"] for p in d]
    wilcoxon = stats.wilcoxon(diff_d)
    ranks = [ord(p["building_label"]) - 64 for p in pairs]
    kendall = stats.kendalltau(ranks, [p["metered_kwh_m2"] / p["dpe_ef_kwh_m2"] for p in pairs])
    got = rows(gold_dir, "dpe_vs_metered", "level = 'commune'", "etiquette_dpe")
    assert [
        (r["etiquette_dpe"], r["n_buildings_electric"], r["n_buildings_other"]) for r in got
    ] == [
        ("D", 11, 1),
        ("F", 4, 0),
    ]
    row_d, row_f = got
    assert row_d["n_dwellings_electric"] == 110
    assert (row_d["wilcoxon_statistic"], row_d["wilcoxon_p_value"]) == (
        wilcoxon.statistic,
        pytest.approx(wilcoxon.pvalue, rel=1e-12),
    )
    # Four pairs: no test; the trend across labels is the area's, on every label row.
    assert (row_f["wilcoxon_statistic"], row_f["wilcoxon_p_value"]) == (None, None)
    for row in got:
        assert row["trend_kendall_tau"] == pytest.approx(kendall.statistic, rel=1e-12)
        assert row["trend_p_value"] == pytest.approx(kendall.pvalue, rel=1e-12)
    ratios = sorted(p["metered_kwh_m2"] / p["dpe_ef_kwh_m2"] for p in d)
    assert row_d["ratio_median"] == pytest.approx(ratios[5])
    assert row_d["ratio_q1"] == pytest.approx(ratios[2] + 0.5 * (ratios[3] - ratios[2]))


def test_every_level_of_a_single_commune_gets_the_same_tests(gold_dir: Path) -> None:
    got = rows(gold_dir, "dpe_vs_metered", "etiquette_dpe = 'D'", "level")
    assert [r["level"] for r in got] == ["commune", "departement", "epci", "france", "region"]
    assert len({(r["wilcoxon_p_value"], r["trend_kendall_tau"]) for r in got}) == 1


def test_batched_wilcoxon_equals_one_call_per_group() -> None:
    rng = np.random.default_rng(7)
    sizes = np.array([10, 10, 10, 12, 12, 60, 60, 9])
    diff = rng.normal(0.0, 1.0, sizes.sum()).round(3)
    diff[0] = 0.0  # a zero in group 0 (scipy: no exact test for it)
    diff[12:14] = [0.7, -0.7]  # a tie in group 1: batched with group 0, apart from group 2
    diff[30:32] = [1.5, -1.5]  # a tie in |d| in group 3
    diff[44:46] = [2.25, 2.25]  # a tie in group 5 (n > 50: normal approximation anyway)
    groups = Groups.of(np.repeat(np.arange(len(sizes)), sizes)).testable()
    stat, pval = wilcoxon_by_group(diff, groups)
    assert list(groups.ids) == [0, 1, 2, 3, 4, 5, 6]  # 9 pairs: not tested
    for i, (start, size) in enumerate(zip(groups.starts, groups.sizes, strict=True)):
        expected = stats.wilcoxon(diff[start : start + size])
        assert (stat[i], pval[i]) == (expected.statistic, pytest.approx(expected.pvalue))


def test_vectorised_kendall_equals_scipy_with_ties() -> None:
    rng = np.random.default_rng(3)
    sizes = rng.integers(10, 40, 200)
    n = int(sizes.sum())
    rank = rng.integers(1, 8, n).astype(float)
    ratio = rng.integers(0, 30, n) / 10  # many tied ratios
    rank[: sizes[0]] = 4.0  # a single label: no trend (NaN, as scipy)
    groups = Groups.of(np.repeat(np.arange(len(sizes)), sizes))
    tau, pval = kendall_by_group(rank, ratio, groups)
    for i, (start, size) in enumerate(zip(groups.starts, groups.sizes, strict=True)):
        with np.errstate(invalid="ignore"):
            expected = stats.kendalltau(rank[start : start + size], ratio[start : start + size])
        assert tau[i] == pytest.approx(expected.statistic, rel=1e-12, nan_ok=True)
        assert pval[i] == pytest.approx(expected.pvalue, rel=1e-9, nan_ok=True)
    assert np.isnan(tau[0])
