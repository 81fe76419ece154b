"""Suppression over the area hierarchy: which cells of the statistics routes are hidden.

An area's figures add up, with its siblings', to its parent's: the communes of a département to
the département, the label counts of an area to its number of labelled DPE. Each family of
siblings is one problem for volt.domain.privacy, solved once its parents' decisions are known —
families are solved from France down, each once per request — so that an area gets the same
pattern whichever route, filter or page shows it, and a parent hidden to protect a sibling is not
given away by its own children adding up to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

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
class Problem:
    """One kind of cell per area: `items` cells, each gated by the count columns in `gates`."""

    name: str
    items: tuple[str, ...]
    gates: tuple[tuple[str, ...], ...]  # per item: the columns holding its masses
    units: tuple[Unit, ...]
    row_total: bool  # an area's items add up to a published total of their own

    @property
    def columns(self) -> set[str]:
        return {column for gate in self.gates for column in gate}


VALUE = "value"  # the one item of a metric problem


def metric_problem(gates: Sequence[Gate]) -> Problem:
    """Additive metrics sharing these gates share their pattern (it depends on counts only)."""
    columns = tuple(g.column for g in gates)
    return Problem("+".join(columns), (VALUE,), (columns,), tuple(g.unit for g in gates), False)


def label_problem(prefix: str) -> Problem:
    """The label counts `<prefix>_a … _g` of an area: seven cells adding up to their total."""
    gates = tuple((f"{prefix}_{label}",) for label in LABELS)
    return Problem(prefix, LABELS, gates, (Unit.DPE,), True)


class HierarchySuppression:
    """The hidden cells of some problems in one year, solved family by family on demand."""

    def __init__(
        self,
        conn: AsyncConn,
        year: int,
        problems: Sequence[Problem],
        thresholds: Thresholds,
    ) -> None:
        self._conn = conn
        self._year = year
        self._problems = tuple(problems)
        self._thresholds = thresholds
        gates = {column for problem in self._problems for column in problem.columns}
        self._columns = ("code", "parent_code", "code_departement", *sorted(gates))
        self._hidden: dict[Key, Reason] = {}
        self._solved: dict[AreaLevel, set[str]] = defaultdict(set)

    def reason(
        self, problem: Problem, level: AreaLevel, code: str, item: str = VALUE
    ) -> Reason | None:
        """Why this cell is hidden, or None (its family must have been solved)."""
        return self._hidden.get(_key(problem, level, code, item))

    async def solve(self, level: AreaLevel, codes: Collection[str]) -> None:
        """Decide the families holding these areas, and first their parents' families."""
        todo = set(codes) - self._solved[level]
        if not self._problems or not todo:
            return
        key = FAMILY_KEY[level]
        rows = await queries.fetch_families(
            self._conn, level.value, self._year, todo, key, self._columns
        )
        self._solved[level] |= todo | {row["code"] for row in rows}
        for partition in PARTITIONS[level]:
            parents = {row[partition.column] for row in rows} - {None}
            await self.solve(partition.parent, parents)
        families: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            families[row[key] if row[key] is not None else f"\0{row['code']}"].append(row)
        for family in families.values():
            for problem in self._problems:
                self._hidden.update(self._protect(problem, level, family))

    def _protect(self, problem: Problem, level: AreaLevel, rows: list[Row]) -> dict[Key, Reason]:
        masses: dict[Key, Masses] = {}
        groups: list[Group] = []
        for row in rows:
            keys = tuple(_key(problem, level, row["code"], item) for item in problem.items)
            for key, gate in zip(keys, problem.gates, strict=True):
                masses[key] = tuple(int(row[column] or 0) for column in gate)
            if problem.row_total:
                groups.append(Group(keys))
        for partition in PARTITIONS[level]:
            children: dict[str, list[str]] = defaultdict(list)
            for row in rows:
                if row[partition.column] is not None:
                    children[row[partition.column]].append(row["code"])
            for parent, codes in children.items():
                for item in problem.items:
                    total = _key(problem, partition.parent, parent, item)
                    members = tuple(_key(problem, level, code, item) for code in codes)
                    groups.append(Group(members, total if total in self._hidden else None))
        minimums = tuple(self._thresholds.of(unit) for unit in problem.units)
        return protect(masses, minimums, problem.units, groups)


def _key(problem: Problem, level: AreaLevel, code: str, item: str) -> Key:
    return (problem.name, level.value, code, item)
