"""Vectorised DPE label engine: row for row the scalar engine, bounds, dates and gaps included."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from volt.domain import dpe_label as scalar
from volt.domain import dpe_label_vec as vec


def days(*values: date | None) -> np.ndarray:
    return np.array([v.isoformat() if v else "NaT" for v in values], dtype="datetime64[D]")


def test_reference_cases_row_for_row() -> None:
    cases = scalar.rules()["reference_cases"]
    got = vec.label_at(
        [c["cep"] for c in cases],
        [c["eges"] for c in cases],
        [c["surface_m2"] for c in cases],
        days(*[date(2025, 1, 15)] * len(cases)),
    )
    assert got.tolist() == [c["label"] for c in cases]


def test_missing_values_give_no_label_and_nat_means_todays_rules() -> None:
    got = vec.label_at(
        [np.nan, 100, 150, 550, 550],
        [5, None, 5, 9, 9],
        [60, 60, np.nan, 12, 12],
        days(None, None, None, date(2023, 5, 1), None),
    )
    assert got.tolist() == [None, None, "C", "G", "F"]


def test_factor_recomputation_on_arrays() -> None:
    on = days(date(2025, 3, 1), date(2026, 1, 1), None, date(2025, 3, 1))
    cep_now = vec.cep_under_current_factor([300, 270, 300, 300], [100, 100, 100, np.nan], on)
    assert cep_now[:2].tolist() == [260.0, 270.0] and np.isnan(cep_now[2:]).all()
    labels = vec.current_label([270, 270, 270, 270], [8] * 4, [60] * 4, on, [100, 100, 100, 0])
    assert labels.tolist() == ["D", "E", None, "E"]


def test_inconsistency_flags_on_arrays() -> None:
    got = vec.is_inconsistent(
        ["A", "B", "A", "B", None, "X"], [70.0, 70.0, 70.1, 69.9, 70, 70], [1] * 6, [60] * 6, None
    )
    assert got.tolist() == [False, False, True, True, None, None]


# Values on, just beside and 0.05 away from every bound a row can meet, and anything else.
ALL_BOUNDS = sorted(
    {
        float(b)
        for section in ("general", "altitude_over_800m_zones_H1b_H1c_H2d")
        for kind in ("cep_bounds", "eges_bounds")
        for b in scalar.rules()[section][kind]
    }
    | {
        float(b)
        for kind in ("cep_bounds_by_m2", "eges_bounds_by_m2")
        for row in scalar.rules()["small_surface"][kind].values()
        for b in row
    }
)
NEAR_BOUNDS = st.builds(
    lambda b, d: b + d, st.sampled_from(ALL_BOUNDS), st.sampled_from([0, -0.1, -0.05, 0.05, 0.1])
)
VALUES = st.one_of(NEAR_BOUNDS, st.floats(-10, 1200), st.just(math.nan), st.none())
SURFACES = st.one_of(
    st.sampled_from([5.0, 8.0, 8.5, 12.0, 12.5, 39.99, 40.0, 40.01, 60.0, math.nan]),
    st.floats(0, 300),
    st.none(),
)
PIVOTS = (date(2021, 7, 1), date(2024, 7, 1), date(2026, 1, 1))
DATES = st.one_of(
    st.builds(lambda p, d: p + timedelta(days=d), st.sampled_from(PIVOTS), st.integers(-2, 2)),
    st.dates(date(2019, 1, 1), date(2028, 12, 31)),
    st.none(),
)
ELEC = st.one_of(st.floats(0, 300), st.just(math.nan), st.none())
ALTITUDE = st.one_of(st.booleans(), st.none())
PUBLISHED = st.sampled_from([*scalar.LABELS, None, "X"])
Row = tuple[
    float | None, float | None, float | None, date | None, float | None, bool | None, str | None
]


@st.composite
def on_own_bound(draw: st.DrawFn) -> Row:
    """A row whose Cep and EGES sit on (or 0.05 from) a bound of its own surface and date."""
    surface = draw(st.one_of(st.integers(5, 45).map(float), st.floats(8, 40)))
    on, alt = draw(DATES), draw(ALTITUDE)
    b = scalar.bounds_for(surface, on, altitude_over_800m=bool(alt))
    shift = st.sampled_from([0.0, 0.05, -0.05])
    cep = draw(st.sampled_from(b.cep)) + draw(shift)
    eges = draw(st.sampled_from(b.eges)) + draw(shift)
    return cep, eges, surface, on, draw(ELEC), alt, draw(PUBLISHED)


ROWS = st.lists(
    st.one_of(
        st.tuples(VALUES, VALUES, SURFACES, DATES, ELEC, ALTITUDE, PUBLISHED), on_own_bound()
    ),
    min_size=1,
    max_size=40,
)


def same(a: float | None, b: float) -> bool:
    return (a is None and math.isnan(b)) or a == b


@settings(max_examples=300)
@given(rows=ROWS)
def test_vectorised_engine_equals_scalar_engine(rows: list[Row]) -> None:
    cep, eges, surface, on, elec, alt, published = (list(c) for c in zip(*rows, strict=True))
    on_days = days(*on)
    at = vec.label_at(cep, eges, surface, on_days, alt).tolist()
    now = vec.current_label(cep, eges, surface, on_days, elec, alt).tolist()
    cep_now = vec.cep_under_current_factor(cep, elec, on_days).tolist()
    bad = vec.is_inconsistent(published, cep, eges, surface, on_days, alt).tolist()
    for i, (c, g, s, d, e, a, p) in enumerate(rows):
        assert at[i] == scalar.label_at(c, g, s, d, altitude_over_800m=a)
        assert now[i] == scalar.current_label(c, g, s, d, e, altitude_over_800m=a)
        assert same(scalar.cep_under_current_factor(c, e, d), cep_now[i])
        assert bad[i] == scalar.is_inconsistent(p, c, g, s, d, altitude_over_800m=a)


@given(surface=st.floats(0, 39.99), cep=st.floats(0, 800), eges=st.floats(0, 150))
def test_small_surface_labels_never_worse_than_general(
    surface: float, cep: float, eges: float
) -> None:
    small = vec.label_codes_at([cep], [eges], [surface], days(date(2025, 1, 1)))
    general = vec.label_codes_at([cep], [eges], [surface], days(date(2024, 6, 30)))
    assert small[0] <= general[0]
