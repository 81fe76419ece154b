"""DPE label engine: reference cases of the arrêtés, strict bounds, double threshold, small
surfaces, altitude, the 2026 electricity factor and the published-label consistency check."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from volt.domain.dpe_label import (
    LABELS,
    cep_under_current_factor,
    current_label,
    dpe_label,
    electricity_factor_at,
    general_bounds,
    is_inconsistent,
    label_at,
    rules,
    small_surface_bounds,
)

AFTER_JULY_2024 = date(2025, 1, 15)


@pytest.mark.parametrize("case", rules()["reference_cases"], ids=lambda c: str(c))
def test_reference_cases(case: dict[str, float | str]) -> None:
    got = dpe_label(
        float(case["cep"]), float(case["eges"]), float(case["surface_m2"]), AFTER_JULY_2024
    )
    assert got == case["label"]


def test_bounds_are_strict_upper_bounds() -> None:
    assert dpe_label(70, 1) == "B" and dpe_label(69.9, 1) == "A"
    assert dpe_label(1, 6) == "B" and dpe_label(1, 5.99) == "A"


def test_small_surface_tables_apply_only_from_july_2024() -> None:
    assert dpe_label(550, 9, 12, AFTER_JULY_2024) == "F"
    assert dpe_label(550, 9, 12, date(2023, 5, 1)) == "G"


def test_at_40_m2_the_small_surface_scale_is_the_general_one() -> None:
    assert small_surface_bounds(40) == general_bounds()


def test_altitude_over_800m_moves_only_e_and_f() -> None:
    assert dpe_label(340, 1) == "F"
    assert dpe_label(340, 1, altitude_over_800m=True) == "E"


@given(
    cep=st.floats(0, 1000, allow_nan=False),
    eges=st.floats(0, 200, allow_nan=False),
    extra=st.floats(0, 500, allow_nan=False),
    surface=st.floats(8, 300, allow_nan=False),
)
def test_more_energy_or_emissions_never_give_a_better_label(
    cep: float, eges: float, extra: float, surface: float
) -> None:
    base = LABELS.index(dpe_label(cep, eges, surface, AFTER_JULY_2024))
    assert LABELS.index(dpe_label(cep + extra, eges, surface, AFTER_JULY_2024)) >= base
    assert LABELS.index(dpe_label(cep, eges + extra, surface, AFTER_JULY_2024)) >= base


@given(surface=st.floats(8, 39.99, allow_nan=False))
def test_small_dwellings_get_looser_or_equal_bounds(surface: float) -> None:
    small, general = small_surface_bounds(surface), general_bounds()
    assert all(s >= g for s, g in zip(small.cep, general.cep, strict=True))
    assert all(s >= g for s, g in zip(small.eges, general.eges, strict=True))


@pytest.mark.parametrize("case", rules()["reference_cases"], ids=lambda c: str(c))
def test_label_at_gives_the_reference_cases(case: dict[str, float | str]) -> None:
    cep, eges, surface = float(case["cep"]), float(case["eges"]), float(case["surface_m2"])
    assert label_at(cep, eges, surface, AFTER_JULY_2024) == case["label"]


def test_label_at_uses_small_surface_tables_only_from_2024_07_01() -> None:
    assert label_at(550, 9, 12, date(2024, 6, 30)) == "G"
    assert label_at(550, 9, 12, date(2024, 7, 1)) == "F"
    assert label_at(700, 9, 12, date(2024, 7, 1)) == "G"


def test_small_surface_interpolates_between_integer_rows() -> None:
    # 12.5 m²: Cep bounds halfway between the 12 m² (478 for E) and 13 m² (456) rows → 467.
    assert small_surface_bounds(12.5).cep[4] == 467.0
    assert label_at(466.9, 1, 12.5, AFTER_JULY_2024) == "E"
    assert label_at(467.0, 1, 12.5, AFTER_JULY_2024) == "F"
    # At or below 8 m² the 8 m² row applies; from 40 m² the general scale.
    assert small_surface_bounds(5) == small_surface_bounds(8)
    assert label_at(330, 1, 39.99, AFTER_JULY_2024) == "E"
    assert label_at(330, 1, 40, AFTER_JULY_2024) == "F"


def test_altitude_scale_changes_only_e_and_f_bounds() -> None:
    low, high = general_bounds(), general_bounds(altitude_over_800m=True)
    assert low.cep[:4] == high.cep[:4] and low.eges[:4] == high.eges[:4]
    assert label_at(450, 1, 60, AFTER_JULY_2024, altitude_over_800m=True) == "F"
    assert label_at(450, 1, 60, AFTER_JULY_2024, altitude_over_800m=False) == "G"
    assert label_at(1, 75, 60, AFTER_JULY_2024, altitude_over_800m=True) == "E"
    assert label_at(1, 75, 60, AFTER_JULY_2024) == "F"


def test_electricity_factor_changes_on_2026_01_01() -> None:
    assert electricity_factor_at(date(2025, 12, 31)) == 2.3
    assert electricity_factor_at(date(2026, 1, 1)) == 1.9
    # Before the 3CL-2021 datasets begin: the first rule, not an error.
    assert electricity_factor_at(date(2020, 1, 1)) == 2.3


def test_all_electric_dpe_of_2025_loses_40_kwh_ep_per_100_kwh_ef() -> None:
    # 300 − 100 × (2.3 − 1.9) = 260: still E (250 ≤ 260 < 330).
    assert cep_under_current_factor(300, 100, date(2025, 3, 1)) == 260.0
    assert current_label(300, 8, 60, date(2025, 3, 1), 100) == "E"
    # 270 − 40 = 230: E becomes D.
    assert label_at(270, 8, 60, date(2025, 3, 1)) == "E"
    assert current_label(270, 8, 60, date(2025, 3, 1), 100) == "D"


def test_dpe_of_2026_already_use_the_new_factor() -> None:
    assert cep_under_current_factor(270, 100, date(2026, 1, 1)) == 270.0
    assert current_label(270, 8, 60, date(2026, 1, 1), 100) == "E"


def test_current_label_applies_small_surface_tables_whatever_the_date() -> None:
    assert label_at(550, 9, 12, date(2023, 5, 1)) == "G"
    assert current_label(550, 9, 12, date(2023, 5, 1), 0) == "F"
    # 12 m² of 2023, all electric: 550 − 150 × 0.4 = 490 < 578 → still F, not E (478).
    assert current_label(550, 9, 12, date(2023, 5, 1), 150) == "F"


def test_missing_inputs_give_no_label() -> None:
    assert label_at(None, 5) is None
    assert label_at(math.nan, 5) is None
    assert label_at(100, math.nan) is None
    assert label_at(150, 5, 12, AFTER_JULY_2024) == "B"
    assert label_at(150, 5, math.nan, AFTER_JULY_2024) == "C"  # no surface: general scale
    assert cep_under_current_factor(300, None, AFTER_JULY_2024) is None
    assert cep_under_current_factor(300, 100, None) is None
    assert current_label(300, 8, 60, None, 100) is None


def test_published_label_matching_its_values_is_consistent() -> None:
    assert is_inconsistent("D", 100, 31, 60, AFTER_JULY_2024) is False
    assert is_inconsistent("C", 100, 31, 60, AFTER_JULY_2024) is True
    assert is_inconsistent("E", 100, 31, 60, AFTER_JULY_2024) is True


def test_published_value_on_a_bound_may_fall_either_side() -> None:
    # 70.0 may be the rounding of 69.96: A and B are both consistent.
    assert is_inconsistent("A", 70.0, 1, 60, AFTER_JULY_2024) is False
    assert is_inconsistent("B", 70.0, 1, 60, AFTER_JULY_2024) is False
    # 70.1 comes from at least 70.05 and 69.9 from below 69.95: one class only.
    assert is_inconsistent("A", 70.1, 1, 60, AFTER_JULY_2024) is True
    assert is_inconsistent("B", 69.9, 1, 60, AFTER_JULY_2024) is True
    assert is_inconsistent("B", 1, 6.0, 60, AFTER_JULY_2024) is False


def test_consistency_uses_the_rules_in_force_at_the_dpe_date() -> None:
    assert is_inconsistent("F", 550, 9, 12, AFTER_JULY_2024) is False
    assert is_inconsistent("F", 550, 9, 12, date(2023, 5, 1)) is True
    assert is_inconsistent("E", 350, 75, 80, date(2022, 1, 10), altitude_over_800m=True) is False
    assert is_inconsistent("E", 350, 75, 80, date(2022, 1, 10)) is True


def test_consistency_is_undecidable_without_label_or_values() -> None:
    assert is_inconsistent(None, 100, 31, 60, AFTER_JULY_2024) is None
    assert is_inconsistent("H", 100, 31, 60, AFTER_JULY_2024) is None
    assert is_inconsistent("D", math.nan, 31, 60, AFTER_JULY_2024) is None


DATES = st.dates(date(2021, 7, 1), date(2027, 12, 31))


@given(
    cep=st.floats(0, 1000),
    eges=st.floats(0, 200),
    extra=st.floats(0, 500),
    surface=st.floats(0, 300),
    on=DATES,
    elec=st.floats(0, 300),
    altitude=st.booleans(),
)
def test_label_at_and_current_label_are_monotone(
    cep: float, eges: float, extra: float, surface: float, on: date, elec: float, altitude: bool
) -> None:
    def rank(label: str | None) -> int:
        assert label is not None
        return LABELS.index(label)

    base = rank(label_at(cep, eges, surface, on, altitude_over_800m=altitude))
    assert rank(label_at(cep + extra, eges, surface, on, altitude_over_800m=altitude)) >= base
    assert rank(label_at(cep, eges + extra, surface, on, altitude_over_800m=altitude)) >= base
    now = rank(current_label(cep, eges, surface, on, elec, altitude_over_800m=altitude))
    more = current_label(cep + extra, eges, surface, on, elec, altitude_over_800m=altitude)
    assert rank(more) >= now


@given(
    small=st.floats(0, 40), larger=st.floats(0, 40), cep=st.floats(0, 800), eges=st.floats(0, 150)
)
def test_a_smaller_dwelling_never_gets_a_worse_label(
    small: float, larger: float, cep: float, eges: float
) -> None:
    small, larger = min(small, larger), max(small, larger)
    a = label_at(cep, eges, small, AFTER_JULY_2024)
    b = label_at(cep, eges, larger, AFTER_JULY_2024)
    assert a is not None and b is not None and a <= b


@given(
    cep=st.floats(0, 1000),
    eges=st.floats(0, 200),
    surface=st.floats(0, 300),
    on=DATES,
    altitude=st.booleans(),
)
def test_the_engines_own_label_is_never_inconsistent(
    cep: float, eges: float, surface: float, on: date, altitude: bool
) -> None:
    label = label_at(cep, eges, surface, on, altitude_over_800m=altitude)
    assert is_inconsistent(label, cep, eges, surface, on, altitude_over_800m=altitude) is False
