"""Suppression over the area hierarchy: which cells of the statistics routes are hidden.

An area's figures add up, with its siblings', to its parent's: the communes of a département to
the département, the label counts of an area to its number of labelled DPE. Each family of
siblings is one problem for volt.domain.privacy, solved once its parents' decisions are known —
families are solved from France down, each once per request — so that an area gets the same
pattern whichever route, filter or page shows it, and a parent hidden to protect a sibling is not
given away by its own children adding up to it.

A problem reads its cells from the family's `areas` rows (metrics, label counts) or from their
`area_cuts` rows of one DPE dimension, pivoted per area (volt/stats/cuts.py); the family is
fetched once per level, with its cuts, whatever the problems. Within an area a problem declares
its groups (`Local`), which may name cells of problems solved before it in the same family.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from volt.api.data import CurrentLoad
from volt.domain.audit import Path
from volt.domain.cuts import Dimension
from volt.domain.metrics import AreaLevel, Gate
from volt.domain.privacy import Group, Key, Masses, Reason, Thresholds, Unit, protect
from volt.stats import queries
from volt.stats.queries import AsyncConn, Row

LABELS = ("a", "b", "c", "d", "e", "f", "g")


@dataclass(frozen=True)
class Partition:
    """Areas of a level add up into their parent at `parent`, whose code is in `column`."""

    parent: AreaLevel
    column: str


L = AreaLevel
# Where an area's figures add up. A commune adds up both into its EPCI and its département:
# EPCIs may straddle départements, so neither total is implied by the other.
PARTITIONS: dict[AreaLevel, tuple[Partition, ...]] = {
    L.STREET: (Partition(L.COMMUNE, "parent_code"),),
    L.IRIS: (Partition(L.COMMUNE, "parent_code"),),
    L.COMMUNE: (Partition(L.DEPARTEMENT, "code_departement"), Partition(L.EPCI, "parent_code")),
    L.EPCI: (Partition(L.DEPARTEMENT, "parent_code"),),
    L.DEPARTEMENT: (Partition(L.REGION, "parent_code"),),
    L.REGION: (Partition(L.FRANCE, "parent_code"),),
    L.FRANCE: (),
}
# The column naming the family solved at once; every group of a partition lies inside one
# family. For communes that is the département: an EPCI straddling two départements is
# protected part by part, each part as if it were the whole EPCI.
FAMILY_KEY: dict[AreaLevel, str] = {
    L.STREET: "parent_code",
    L.IRIS: "parent_code",
    L.COMMUNE: "code_departement",
    L.EPCI: "parent_code",
    L.DEPARTEMENT: "parent_code",
    L.REGION: "parent_code",
    L.FRANCE: "code",
}


@dataclass(frozen=True)
class FamilyArea:
    """One area of a family: its `areas` row and, per value of the dimension read, its cut."""

    row: Row
    cuts: Mapping[str, Row] = field(default_factory=dict)

    @property
    def code(self) -> str:
        code: str = self.row["code"]
        return code


@dataclass(frozen=True)
class Local:
    """A problem's groups inside one area, and the cells decided elsewhere (by problems solved
    before it) that they name: their masses and decisions (a reason, or None: published)."""

    groups: list[Group] = field(default_factory=list)
    masses: dict[Key, Masses] = field(default_factory=dict)
    decided: dict[Key, Reason | None] = field(default_factory=dict)


class FamilyProblem(Protocol):
    """One kind of cell per area, `items` of them, adding up over siblings item by item."""

    @property
    def name(self) -> str: ...
    @property
    def items(self) -> tuple[str, ...]: ...
    @property
    def units(self) -> tuple[Unit, ...]: ...
    @property
    def columns(self) -> set[str]:
        """The `areas` columns read."""

    @property
    def dimension(self) -> Dimension | None:
        """The `area_cuts` dimension read, if any."""

    @property
    def by_parts(self) -> bool:
        """Large problems: audited node by node over the family, complements picked in rounds."""

    def masses(self, area: FamilyArea) -> list[Masses]:
        """Per item, the masses of the area's cell."""

    def local(self, level: AreaLevel, area: FamilyArea, hidden: Mapping[Key, Reason]) -> Local:
        """The groups inside the area (`hidden`: the decisions so far)."""


@dataclass(frozen=True)
class Problem:
    """Cells read from `areas`: `items` per area, each gated by the count columns in `gates`."""

    name: str
    items: tuple[str, ...]
    gates: tuple[tuple[str, ...], ...]  # per item: the columns holding its masses
    units: tuple[Unit, ...]
    row_total: bool  # an area's items add up to a published total of their own

    @property
    def columns(self) -> set[str]:
        return {column for gate in self.gates for column in gate}

    @property
    def dimension(self) -> Dimension | None:
        return None

    @property
    def by_parts(self) -> bool:
        return False  # families of a few hundred cells: the dense audit, trial by trial

    def masses(self, area: FamilyArea) -> list[Masses]:
        return [tuple(int(area.row[column] or 0) for column in gate) for gate in self.gates]

    def local(self, level: AreaLevel, area: FamilyArea, hidden: Mapping[Key, Reason]) -> Local:
        if not self.row_total:
            return Local()
        return Local([Group(tuple(cell_key(self, level, area.code, i) for i in self.items))])


VALUE = "value"  # the one item of a metric problem


def metric_problem(gates: Sequence[Gate]) -> Problem:
    """Additive metrics sharing these gates share their pattern (it depends on counts only)."""
    columns = tuple(g.column for g in gates)
    return Problem("+".join(columns), (VALUE,), (columns,), tuple(g.unit for g in gates), False)


def label_problem(prefix: str) -> Problem:
    """The label counts `<prefix>_a … _g` of an area: seven cells adding up to their total."""
    gates = tuple((f"{prefix}_{label}",) for label in LABELS)
    return Problem(prefix, LABELS, gates, (Unit.DPE,), True)


def cell_key(problem: FamilyProblem, level: AreaLevel, code: str, item: str) -> Key:
    return (problem.name, level.value, code, item)


class HierarchySuppression:
    """The hidden cells of some problems in one year, solved family by family on demand.

    Problems are solved in their order within a family: a problem may name the cells of those
    before it. Problems reading `area_cuts` read the same dimension.
    """

    def __init__(
        self,
        conn: AsyncConn,
        year: int,
        problems: Sequence[FamilyProblem],
        thresholds: Thresholds,
        load: CurrentLoad | None = None,
        *,
        keep_areas: bool = False,
    ) -> None:
        # Decisions depend only on the load's rows: with a load, they are kept per process
        # (SOLVED) and a family is solved once per load, not once per request.
        self._load = None if load is None else (load.data_version, load.loaded_at.isoformat())
        self._conn = conn
        self._year = year
        self._problems = tuple(problems)
        self._thresholds = thresholds
        gates = {column for problem in self._problems for column in problem.columns}
        self._columns = ("code", "parent_code", "code_departement", *sorted(gates))
        dimensions = {p.dimension for p in self._problems} - {None}
        if len(dimensions) > 1:
            raise ValueError(f"One dimension per suppression, not {sorted(map(str, dimensions))}")
        self._dimension = next(iter(dimensions), None)
        self._hidden: dict[Key, Reason] = {}
        self._solved: dict[AreaLevel, set[str]] = defaultdict(set)
        self._areas: dict[tuple[AreaLevel, str], FamilyArea] = {}
        # `area()` needs the family's rows: then families are always read, decided or not.
        self._keep_areas = keep_areas

    def reason(
        self, problem: FamilyProblem, level: AreaLevel, code: str, item: str = VALUE
    ) -> Reason | None:
        """Why this cell is hidden, or None (its family must have been solved)."""
        return self._hidden.get(cell_key(problem, level, code, item))

    def area(self, level: AreaLevel, code: str) -> FamilyArea | None:
        """An area as its family was read (with its cuts), once `solve` has seen it (only
        with `keep_areas`: otherwise a family decided earlier in the process is not read)."""
        return self._areas.get((level, code))

    async def solve(self, level: AreaLevel, codes: Collection[str]) -> None:
        """Decide the families holding these areas, and first their parents' families."""
        todo = set(codes) - self._solved[level]
        if not self._problems or not todo:
            return
        todo -= self._recall(level, todo)
        if not todo:
            return
        key = FAMILY_KEY[level]
        areas = await fetch_family_areas(
            self._conn, level, self._year, todo, key, self._columns, self._dimension
        )
        self._solved[level] |= todo | {area.code for area in areas}
        self._areas.update({(level, area.code): area for area in areas})
        for partition in PARTITIONS[level]:
            parents = {area.row[partition.column] for area in areas} - {None}
            await self.solve(partition.parent, parents)
        self.solve_families(level, areas)

    def solve_families(self, level: AreaLevel, areas: Sequence[FamilyArea]) -> None:
        """Decide these areas' families (whole), their parents' being decided already."""
        families: dict[str, list[FamilyArea]] = defaultdict(list)
        key = FAMILY_KEY[level]
        for area in areas:
            family = area.row[key]
            families[family if family is not None else f"\0{area.code}"].append(area)
        for family, members in families.items():
            for area in members:
                memo = self._memo_key(-1, level, area.code)
                if memo is not None:
                    SOLVED.put_family(memo, family)
            for index, problem in enumerate(self._problems):
                memo = self._memo_key(index, level, family)
                decisions = SOLVED.get(memo) if memo is not None else None
                if decisions is None:
                    decisions = self._protect(problem, level, family, members)
                    if memo is not None:
                        SOLVED.put(memo, decisions)
                self._hidden.update(decisions)

    def _recall(self, level: AreaLevel, codes: set[str]) -> set[str]:
        """The codes whose families were decided before in this process (for every problem):
        their decisions are taken as they are, without reading the families again."""
        if self._load is None or self._keep_areas:
            return set()
        recalled: set[str] = set()
        for code in codes:
            where = self._memo_key(-1, level, code)
            family = SOLVED.family(where) if where is not None else None
            if family is None:
                continue
            keys = [self._memo_key(i, level, family) for i in range(len(self._problems))]
            decisions = [SOLVED.get(key) for key in keys if key is not None]
            if len(decisions) != len(self._problems) or any(d is None for d in decisions):
                continue
            for decided in decisions:
                assert decided is not None
                self._hidden.update(decided)
            recalled.add(code)
        self._solved[level] |= recalled
        return recalled

    def _memo_key(self, index: int, level: AreaLevel, family: str) -> tuple[object, ...] | None:
        """A problem's decisions over a family depend on the load, the year, the thresholds,
        the problems solved before it (their cells may be named) and the family. Index -1:
        the key of an area's family (`family` is then the area's code)."""
        if self._load is None:
            return None
        chain = tuple(p.name for p in self._problems[: index + 1]) if index >= 0 else ()
        return (*self._load, self._year, self._thresholds, self._dimension, chain, level, family)

    def _protect(
        self, problem: FamilyProblem, level: AreaLevel, family: str, areas: list[FamilyArea]
    ) -> dict[Key, Reason]:
        masses: dict[Key, Masses] = {}
        groups: list[Group] = []
        decided: dict[Key, Reason | None] = {}
        paths: dict[Key, Path] = {}
        others = [p for p in PARTITIONS[level] if p.column != FAMILY_KEY[level]]
        for area in areas:
            keys = [cell_key(problem, level, area.code, item) for item in problem.items]
            masses.update(zip(keys, problem.masses(area), strict=True))
            local = problem.local(level, area, self._hidden)
            groups.extend(local.groups)
            masses.update(local.masses)
            decided.update(local.decided)
            # A cell's place: family, then the finer partitions (a commune's EPCI), then itself.
            path = (family, *(str(area.row[p.column] or "") for p in others), area.code)
            paths.update(dict.fromkeys([*keys, *local.masses], path))
        for partition in PARTITIONS[level]:
            children: dict[str, list[str]] = defaultdict(list)
            for area in areas:
                if area.row[partition.column] is not None:
                    children[area.row[partition.column]].append(area.code)
            for parent, codes in children.items():
                above: Path = (family,) if partition not in others else (family, parent)
                for item in problem.items:
                    total = cell_key(problem, partition.parent, parent, item)
                    members = tuple(cell_key(problem, level, code, item) for code in codes)
                    hidden_total = total if total in self._hidden else None
                    groups.append(Group(members, hidden_total))
                    paths[total] = above
        minimums = tuple(self._thresholds.of(unit) for unit in problem.units)
        by_parts = paths if problem.by_parts else None
        return protect(masses, minimums, problem.units, groups, decided=decided, paths=by_parts)


class SolvedFamilies:
    """Decisions per (load, year, thresholds, problems, level, family): the most recently used
    `capacity` families of this process. A new load has new keys; old ones age out."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._decisions: OrderedDict[tuple[object, ...], dict[Key, Reason]] = OrderedDict()
        self._families: OrderedDict[tuple[object, ...], str] = OrderedDict()  # area → family

    def get(self, key: tuple[object, ...]) -> dict[Key, Reason] | None:
        decisions = self._decisions.get(key)
        if decisions is not None:
            self._decisions.move_to_end(key)
        return decisions

    def put(self, key: tuple[object, ...], decisions: dict[Key, Reason]) -> None:
        self._decisions[key] = decisions
        self._decisions.move_to_end(key)
        while len(self._decisions) > self._capacity:
            self._decisions.popitem(last=False)

    def family(self, key: tuple[object, ...]) -> str | None:
        """The family an area was found in (key: `_memo_key(-1, level, code)`)."""
        family = self._families.get(key)
        if family is not None:
            self._families.move_to_end(key)
        return family

    def put_family(self, key: tuple[object, ...], family: str) -> None:
        self._families[key] = family
        self._families.move_to_end(key)
        while len(self._families) > self._capacity * 10:
            self._families.popitem(last=False)

    def clear(self) -> None:
        self._decisions.clear()
        self._families.clear()


# A family's decisions are a few hidden cells: 20,000 families (every commune family of France
# several times over) stay within tens of MB.
SOLVED = SolvedFamilies(capacity=20_000)


async def fetch_family_areas(
    conn: AsyncConn,
    level: AreaLevel,
    year: int,
    codes: Collection[str],
    key: str,
    columns: Sequence[str],
    dimension: Dimension | None,
) -> list[FamilyArea]:
    """The families holding these codes, whole, with their cuts of `dimension` (one query)."""
    if dimension is None:
        rows = await queries.fetch_families(conn, level.value, year, codes, key, columns)
        return [FamilyArea(row) for row in rows]
    rows = await queries.fetch_families_with_cuts(
        conn, level.value, year, codes, key, columns, dimension.value
    )
    heads: dict[str, Row] = {}
    cuts: dict[str, dict[str, Row]] = defaultdict(dict)
    for row in rows:  # one row per area and value (one, value NULL, for an area without cuts)
        heads.setdefault(row["code"], {c: row[c] for c in columns})
        if row[queries.CUT_VALUE] is not None:
            cuts[row["code"]][row[queries.CUT_VALUE]] = row
    return [FamilyArea(head, cuts[code]) for code, head in heads.items()]
