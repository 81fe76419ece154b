"""The audit by parts (volt.domain.audit) and the suppression it drives over areas
(volt.domain.privacy.protect with paths and decided cells).

Worlds are small families of areas, each with a table value × label, their siblings adding up
to EPCIs and a département: the shape of a breakdown problem. The attacker of
tests/domain/test_privacy.py (exact fractions) is the reference: the audit must find exactly the
cells it recovers, and no suppression pattern may leave it anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain.test_privacy import recovered
from volt.domain.audit import Path, determined_over_tree
from volt.domain.privacy import Group, Key, Reason, Unit, protect

DPE = (Unit.DPE,)
C = Reason.COMPLEMENTARY
SMALL = Reason.BELOW_MIN_DPE


@dataclass(frozen=True)
class World:
    masses: dict[Key, tuple[int]]
    groups: list[Group]
    paths: dict[Key, Path]

    @property
    def values(self) -> dict[Key, int]:
        return {key: mass[0] for key, mass in self.masses.items()}


def family(
    tables: list[list[list[int]]], epcis: list[int], hidden_parents: set[tuple[str, int, int]]
) -> World:
    """Communes (tables value × label) in EPCIs (-1: none) of one département; the parent
    cells named in `hidden_parents` (("epci", e, v*10+l) or ("dep", 0, v*10+l)) are hidden
    totals, the others published."""
    masses: dict[Key, tuple[int]] = {}
    groups: list[Group] = []
    paths: dict[Key, Path] = {}
    rows, columns = len(tables[0]), len(tables[0][0])
    for i, (table, epci) in enumerate(zip(tables, epcis, strict=True)):
        code = f"c{i}"
        path = ("06", f"e{epci}" if epci >= 0 else "", code)
        for v in range(rows):
            for x in range(columns):
                masses[(code, str(v), str(x))] = (table[v][x],)
                paths[(code, str(v), str(x))] = path
        groups += [
            Group(tuple((code, str(v), str(x)) for x in range(columns))) for v in range(rows)
        ]
        groups += [
            Group(tuple((code, str(v), str(x)) for v in range(rows))) for x in range(columns)
        ]
    for v in range(rows):
        for x in range(columns):
            parents: list[tuple[str, int, list[int]]] = [("dep", 0, list(range(len(tables))))]
            for e in sorted(set(epcis) - {-1}):
                parents.append(("epci", e, [i for i, ep in enumerate(epcis) if ep == e]))
            for kind, number, members in parents:
                total = (kind, str(number), str(v), str(x))
                paths[total] = ("06",) if kind == "dep" else ("06", f"e{number}")
                hidden = (kind, number, v * 10 + x) in hidden_parents
                cells = tuple((f"c{i}", str(v), str(x)) for i in members)
                groups.append(Group(cells, total if hidden else None))
    return World(masses, groups, paths)


def equations(world: World, hidden: set[Key]) -> list[dict[Key, float]]:
    found = []
    for group in world.groups:
        terms = {m: 1.0 for m in group.members if m in hidden}
        if group.hidden_total is not None:
            terms[group.hidden_total] = -1.0
        if terms:
            found.append(terms)
    return found


def totals_as_cells(world: World) -> dict[Key, int]:
    """Values of cells and of hidden totals (what the attacker may recover)."""
    values = world.values
    for group in world.groups:
        if group.hidden_total is not None:
            values[group.hidden_total] = sum(values[m] for m in group.members)
    return values


cell_mass = st.integers(min_value=0, max_value=9)
worlds = st.integers(min_value=2, max_value=3).flatmap(
    lambda rows: st.integers(min_value=2, max_value=3).flatmap(
        lambda columns: st.tuples(
            st.lists(
                st.lists(st.lists(cell_mass, min_size=columns, max_size=columns), min_size=rows,
                         max_size=rows),
                min_size=2,
                max_size=5,
            ).flatmap(
                lambda tables: st.tuples(
                    st.just(tables),
                    st.lists(st.integers(-1, 1), min_size=len(tables), max_size=len(tables)),
                )
            ),
            st.sets(
                st.tuples(
                    st.sampled_from(["dep", "epci"]),
                    st.integers(0, 1),
                    st.sampled_from([v * 10 + x for v in range(rows) for x in range(columns)]),
                ),
                max_size=4,
            ),
        )
    )
)  # fmt: skip


# --- the audit -------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(worlds, st.randoms(use_true_random=False))
def test_the_audit_by_parts_finds_exactly_what_an_exact_attacker_recovers(
    drawn: tuple[tuple[list[list[list[int]]], list[int]], set[tuple[str, int, int]]],
    random: object,
) -> None:
    (tables, epcis), hidden_parents = drawn
    world = family(tables, epcis, hidden_parents)
    cells = sorted(world.masses)
    hidden = {key for key in cells if random.random() < 0.5}  # type: ignore[attr-defined]
    expected = recovered(totals_as_cells(world), world.groups, dict.fromkeys(hidden))
    found = determined_over_tree(equations(world, hidden), world.paths)
    assert set(found) == set(expected)


def test_a_departement_equation_made_of_its_epcis_leaves_the_communes() -> None:
    # Two EPCIs with a published total each and the département's: the département's equation
    # is the sum of the EPCIs'. One hidden cell per commune, in one column: each is its
    # EPCI's total minus nothing hidden — fixed — unless its EPCI hides another.
    world = family([[[3, 0]], [[4, 0]], [[6, 0]]], [0, 0, 1], set())
    hidden = {("c0", "0", "0"), ("c1", "0", "0"), ("c2", "0", "0")}
    found = determined_over_tree(equations(world, hidden), world.paths)
    assert found == sorted(recovered(totals_as_cells(world), world.groups, dict.fromkeys(hidden)))
    assert found == [("c0", "0", "0"), ("c1", "0", "0"), ("c2", "0", "0")]


# --- protect over areas ----------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(worlds, st.integers(min_value=2, max_value=6))
def test_no_cell_of_a_family_of_tables_can_be_recovered(
    drawn: tuple[tuple[list[list[list[int]]], list[int]], set[tuple[str, int, int]]], k: int
) -> None:
    (tables, epcis), hidden_parents = drawn
    world = family(tables, epcis, hidden_parents)
    hidden = protect(world.masses, (k,), DPE, world.groups, paths=world.paths)
    small = {key for key, (mass,) in world.masses.items() if 0 < mass < k}
    assert small <= set(hidden)
    values = totals_as_cells(world)
    leaked = recovered(values, world.groups, hidden)
    # What the published totals alone give away (every cell hidden but those under a
    # published 0, which are 0) is no suppression's to protect: a cell that is its group's only
    # one with data, a small total of its own. Hidden totals are left out: drawn at random, a
    # hidden département may hold the very communes of a published EPCI, which its own
    # family would not allow.
    zeros = {
        m
        for g in world.groups
        if g.hidden_total is None and not sum(values[k] for k in g.members)
        for m in g.members
    }
    inherent = recovered(values, world.groups, dict.fromkeys(set(world.masses) - zeros))
    assert {key for key in leaked if key in world.masses} - zeros <= set(inherent)


def test_decided_cells_are_kept_and_never_picked() -> None:
    # A table's rows add up to value counts decided elsewhere: 3 and 4 DPE hidden there, 16
    # published; the counts join the audit (with their own row: 23 DPE), are never picked,
    # and are not in the answer.
    masses: dict[Key, tuple[int, ...]] = {
        ("1", "a"): (1,),
        ("1", "b"): (2,),
        ("2", "a"): (2,),
        ("2", "b"): (2,),
        ("3", "a"): (7,),
        ("3", "b"): (9,),
        ("c1",): (3,),
        ("c2",): (4,),
        ("c3",): (16,),
    }
    groups = [
        Group((("1", "a"), ("1", "b")), ("c1",)),
        Group((("2", "a"), ("2", "b")), ("c2",)),
        Group((("3", "a"), ("3", "b"))),
        Group((("1", "a"), ("2", "a"), ("3", "a"))),
        Group((("1", "b"), ("2", "b"), ("3", "b"))),
        Group((("c1",), ("c2",), ("c3",))),
    ]
    paths = dict.fromkeys(masses, ("area",))
    decided = {("c1",): SMALL, ("c2",): SMALL, ("c3",): None}
    hidden = protect(masses, (5,), DPE, groups, decided=decided, paths=paths)
    cells = {key: SMALL for key in [("1", "a"), ("1", "b"), ("2", "a"), ("2", "b")]}
    assert hidden == cells | {("3", "a"): C, ("3", "b"): C}
    values = {key: mass[0] for key, mass in masses.items()}
    assert recovered(values, groups, hidden | {("c1",): SMALL, ("c2",): SMALL}) == {}


def test_a_zero_under_a_published_zero_is_no_secret() -> None:
    # An area of 3 DPE hides its empty cells too; its EPCI publishes 0 for one of them: the
    # reader knows it is 0 (counts are not negative), and no other cell is hidden for it.
    masses: dict[Key, tuple[int]] = {("small", "a"): (3,), ("small", "b"): (0,), ("big", "b"): (0,)}
    groups = [Group((("small", "a"), ("small", "b"))), Group((("small", "b"), ("big", "b")))]
    paths: dict[Key, Path] = {k: ("d", k[0]) for k in masses}
    hidden = protect(masses, (5,), DPE, groups, paths=paths)
    assert hidden == {("small", "a"): SMALL, ("small", "b"): SMALL}
    without = protect(masses, (5,), DPE, groups)  # the dense audit does not know it
    assert without == hidden | {("big", "b"): C}
