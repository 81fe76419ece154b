"""DPE label engine: the reference cases of the arrêtés, strict bounds, the double threshold."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from volt.domain.dpe_label import LABELS, dpe_label, general_bounds, rules, small_surface_bounds

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
