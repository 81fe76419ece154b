"""Small-cell protection (volt.domain.privacy): primary and complementary suppression.

An attacker written here, independently of the engine, solves the published equations exactly
(fractions, Gauss-Jordan) and reports every hidden cell it can pin down. Hand-made worlds show the
traps (naive suppression leaking by subtraction, groups safe one by one but pinned by a chain);
hypothesis shows that no random world lets the attacker recover a cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from volt.domain.privacy import (
    Group,
    Key,
    Reason,
    Thresholds,
    Unit,
    has_data,
    primary_reason,
    protect,
)

DPE = (Unit.DPE,)
DWELLINGS = (Unit.DWELLINGS,)
C = Reason.COMPLEMENTARY
SMALL = Reason.BELOW_MIN_DPE


def recovered(
    values: Mapping[Key, int], groups: Sequence[Group], hidden: Mapping[Key, object]
) -> dict[Key, Fraction]:
    """The hidden cells (and hidden totals) an attacker pins down from the published cells and
    the published totals of every group: exact Gauss-Jordan elimination over the fractions."""
    rows: list[dict[Key, Fraction]] = []
    for group in groups:
        equation: dict[Key, Fraction] = {}
        constant = Fraction(sum(values[m] for m in group.members))  # the published total
        if group.hidden_total is not None:
            equation[group.hidden_total] = Fraction(-1)
            constant = Fraction(0)
        for member in group.members:
            if member in hidden:
                equation[member] = equation.get(member, Fraction(0)) + 1
            else:
                constant -= values[member]
        equation = {k: v for k, v in equation.items() if v}
        if equation:
            rows.append(equation | {(): constant})
    unknowns = sorted({k for row in rows for k in row if k != ()})
    pivots: list[tuple[Key, dict[Key, Fraction]]] = []
    for unknown in unknowns:
        found = next((r for r in rows if r.get(unknown)), None)
        if found is None:
            continue
        rows.remove(found)
        pivot = {k: v / found[unknown] for k, v in found.items()}
        for other in [*rows, *(p for _, p in pivots)]:
            factor = other.get(unknown)
            if factor:
                for k, v in pivot.items():
                    other[k] = other.get(k, Fraction(0)) - factor * v
                    if not other[k] and k != ():
                        del other[k]
        pivots.append((unknown, pivot))
    return {
        unknown: row[()]
        for unknown, row in pivots
        if [k for k, v in row.items() if k != () and v] == [unknown]
    }


def one_group(cells: Mapping[str, int]) -> tuple[dict[Key, tuple[int]], list[Group]]:
    masses = {(name,): (mass,) for name, mass in cells.items()}
    return masses, [Group(tuple(sorted(masses)))]


# --- primary ---------------------------------------------------------------------------------


def test_primary_hides_one_to_k_minus_one_and_names_the_unit() -> None:
    units = (Unit.DWELLINGS, Unit.DPE)
    assert [
        primary_reason(masses, (10, 5), units)
        for masses in [(0, 0), (9, 40), (10, 4), (10, 5), (3, 1)]
    ] == [None, Reason.BELOW_MIN_DWELLINGS, Reason.BELOW_MIN_DPE, None, Reason.BELOW_MIN_DWELLINGS]
    assert [has_data(m) for m in [(0, 3), (3, 0), (1, 1)]] == [False, False, True]
    assert Thresholds(10, 5).of(Unit.DWELLINGS) == 10
    assert Thresholds(10, 5).of(Unit.DPE) == 5


# --- complementary, one group ----------------------------------------------------------------


def test_a_lone_hidden_cell_takes_the_smallest_sibling_with_it() -> None:
    masses, groups = one_group({"a": 3, "b": 40, "c": 12, "d": 12})
    assert protect(masses, (5,), DPE, groups) == {("a",): SMALL, ("c",): C}


def test_two_hidden_cells_weighing_under_k_take_a_third() -> None:
    masses, groups = one_group({"a": 1, "b": 2, "c": 30, "d": 6})
    assert protect(masses, (5,), DPE, groups) == {("a",): SMALL, ("b",): SMALL, ("d",): C}


def test_empty_cells_are_published_and_never_complements() -> None:
    masses, groups = one_group({"a": 0, "b": 3, "c": 0, "d": 7, "e": 9})
    assert protect(masses, (5,), DPE, groups) == {("b",): SMALL, ("d",): C}


def test_a_group_whose_total_is_under_k_hides_all_its_cells_empty_ones_too() -> None:
    # Else its empty cells would say which labels its 3 DPE have.
    masses, groups = one_group({"a": 1, "b": 2, "c": 0})
    assert protect(masses, (5,), DPE, groups) == {("a",): SMALL, ("b",): SMALL, ("c",): SMALL}


def test_every_threshold_of_a_cell_must_be_met_by_the_hidden_mass() -> None:
    # Dwellings and DPE: (9 dwellings, 30 DPE) is hidden; its complement must bring the DPE
    # count to 5 (easy) and the dwellings to 10: (15, 2) is smaller but the first that does.
    masses: dict[Key, tuple[int, ...]] = {
        ("a",): (9, 30),
        ("b",): (15, 2),
        ("c",): (40, 40),
    }
    hidden = protect(masses, (10, 5), (Unit.DWELLINGS, Unit.DPE), [Group(tuple(masses))])
    assert hidden == {("a",): Reason.BELOW_MIN_DWELLINGS, ("b",): Reason.BELOW_MIN_DPE}


def test_under_a_hidden_total_the_hidden_members_weigh_k() -> None:
    # The parent P is hidden elsewhere: its children must not add up to it in the open.
    masses = {("x",): (3,), ("y",): (1,), ("z",): (8,)}
    group = Group((("x",), ("y",), ("z",)), hidden_total=("P",))
    assert protect(masses, (5,), DPE, [group]) == {("x",): SMALL, ("y",): SMALL, ("z",): C}
    published = {("x",): (20,), ("y",): (30,)}
    group = Group((("x",), ("y",)), hidden_total=("P",))
    # Nothing small below, yet P must stay hidden: the smallest child goes.
    assert protect(published, (5,), DPE, [group]) == {("x",): C}


# --- the traps -------------------------------------------------------------------------------

# A département of three communes: kWh metered (the values) and dwellings (the masses).
DEPARTEMENT = {"06001": (8, 31_000), "06002": (30, 104_000), "06003": (200, 690_000)}


def test_naive_suppression_leaks_a_commune_through_the_departement_total() -> None:
    masses = {(c,): (dw,) for c, (dw, _) in DEPARTEMENT.items()}
    values = {(c,): kwh for c, (_, kwh) in DEPARTEMENT.items()}
    groups = [Group(tuple(sorted(masses)))]  # the département publishes its total
    naive = {k: primary_reason(m, (10,), DWELLINGS) for k, m in masses.items()}
    naive_hidden = {k: r for k, r in naive.items() if r is not None}
    assert naive_hidden == {("06001",): Reason.BELOW_MIN_DWELLINGS}
    assert recovered(values, groups, naive_hidden) == {("06001",): 31_000}
    hidden = protect(masses, (10,), DWELLINGS, groups)
    assert hidden == {("06001",): Reason.BELOW_MIN_DWELLINGS, ("06002",): C}
    assert recovered(values, groups, hidden) == {}


# Label counts A…G of three communes; each publishes its number of labelled DPE, and their
# département its count per label — except A, F and G, hidden by its own suppression (F and G
# hold 1 DPE; A was the smallest complement).
LABELS = "abcdefg"
COMMUNES = {
    "06001": (0, 0, 2, 3, 9, 0, 0),
    "06002": (0, 2, 5, 5, 0, 0, 0),
    "06003": (6, 7, 15, 20, 10, 1, 1),
}
HIDDEN_IN_DEPARTEMENT = "afg"


def _label_world() -> tuple[dict[Key, tuple[int]], dict[Key, int], list[Group]]:
    masses = {
        (c, x): (n,) for c, counts in COMMUNES.items() for x, n in zip(LABELS, counts, strict=True)
    }
    values = {key: mass[0] for key, mass in masses.items()}
    rows = [Group(tuple((c, x) for x in LABELS)) for c in COMMUNES]
    columns = [
        Group(
            tuple((c, x) for c in COMMUNES),
            ("06", x) if x in HIDDEN_IN_DEPARTEMENT else None,
        )
        for x in LABELS
    ]
    return masses, values, rows + columns


def test_cells_safe_group_by_group_can_still_be_pinned_by_a_chain_of_groups() -> None:
    masses, values, groups = _label_world()
    # What per-group rules give: every row and column hides no cell, or ≥ 2 weighing ≥ 5.
    group_by_group = {
        ("06001", "c"): SMALL,
        ("06001", "d"): SMALL,
        ("06002", "b"): SMALL,
        ("06002", "c"): C,
        ("06002", "d"): C,
        ("06003", "a"): C,
        ("06003", "b"): C,
        ("06003", "f"): SMALL,
        ("06003", "g"): SMALL,
    }
    # 06002's row, minus its C and D columns, plus 06001's row (whose C + D is 14 - 9): its B
    # count comes out, and 06003's with it (the B column).
    assert recovered(values, groups, group_by_group) == {
        ("06002", "b"): 2,
        ("06003", "b"): 7,
    }
    hidden = protect(masses, (5,), DPE, groups)
    assert hidden == group_by_group | {("06003", "c"): C}
    assert recovered(values, groups, hidden) == {}


def test_an_empty_cell_is_hidden_when_no_cell_with_data_can_protect() -> None:
    # x (3 DPE) is hidden with y; but y is the only cell with data of its column, so y is that
    # column's total, and x the row's total minus y. Hiding the empty z is all that is left.
    masses = {("x",): (3,), ("y",): (8,), ("z",): (0,)}
    values = {key: mass[0] for key, mass in masses.items()}
    groups = [Group((("x",), ("y",))), Group((("y",), ("z",)))]
    hidden = protect(masses, (5,), DPE, groups)
    assert hidden == {("x",): SMALL, ("y",): C, ("z",): C}
    assert recovered(values, groups, hidden) == {}


# --- properties ------------------------------------------------------------------------------

cell_masses = st.integers(min_value=0, max_value=30)
thresholds = st.integers(min_value=2, max_value=10)


@settings(max_examples=300, deadline=None)
@given(st.lists(cell_masses, min_size=2, max_size=9), thresholds)
def test_no_cell_of_one_group_can_be_recovered(counts: list[int], k: int) -> None:
    masses, groups = one_group({f"c{i}": n for i, n in enumerate(counts)})
    values = {key: mass[0] for key, mass in masses.items()}
    hidden = protect(masses, (k,), DPE, groups)
    assert {key for key, m in masses.items() if 0 < m[0] < k} <= set(hidden)
    if sum(counts) >= k:  # empty cells stay published, unless the total itself is small
        assert all(has_data(masses[key]) for key in hidden)
    assert recovered(values, groups, hidden) == {}
    weight = sum(masses[key][0] for key in hidden)
    assert not hidden or (len(hidden) >= 2 and weight >= k) or weight == sum(counts)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=2, max_value=4).flatmap(
        lambda r: st.lists(
            st.lists(cell_masses, min_size=3, max_size=5).map(tuple), min_size=r, max_size=r
        ).filter(lambda rows: len({len(row) for row in rows}) == 1)
    ),
    thresholds,
)
def test_no_cell_of_a_table_with_row_and_column_totals_can_be_recovered(
    table: list[tuple[int, ...]], k: int
) -> None:
    masses = {(f"r{i}", f"c{j}"): (n,) for i, row in enumerate(table) for j, n in enumerate(row)}
    values = {key: mass[0] for key, mass in masses.items()}
    rows = [
        Group(tuple((f"r{i}", f"c{j}") for j in range(len(table[0])))) for i in range(len(table))
    ]
    columns = [
        Group(tuple((f"r{i}", f"c{j}") for i in range(len(table)))) for j in range(len(table[0]))
    ]
    hidden = protect(masses, (k,), DPE, rows + columns)
    assert {key for key, m in masses.items() if 0 < m[0] < k} <= set(hidden)
    assert recovered(values, rows + columns, hidden) == {}


@settings(max_examples=200, deadline=None)
@given(st.lists(cell_masses, min_size=1, max_size=8), thresholds)
def test_a_hidden_total_is_never_the_sum_of_published_children(counts: list[int], k: int) -> None:
    masses = {(f"c{i}",): (n,) for i, n in enumerate(counts)}
    group = Group(tuple(sorted(masses)), hidden_total=("parent",))
    values = {key: mass[0] for key, mass in masses.items()}
    hidden = protect(masses, (k,), DPE, [group])
    weight = sum(masses[key][0] for key in hidden)
    assert weight >= min(k, sum(counts))
    if sum(counts):
        assert recovered(values, [group], hidden) == {}
