"""Small-cell protection (DESIGN §3): primary and complementary suppression, pure.

A *cell* is a published figure built from some dwellings or DPE (its *masses*, one per threshold:
a mean over 40 dwellings and 12 DPE has masses (40, 12)). A *group* is a set of cells whose values
add up to a total the reader can see — the label counts of one area and its number of DPE, the
communes of a département and the département — or to a total that is itself hidden.

- Primary: a cell built from fewer than k dwellings or k DPE is hidden.
- Complementary: within a group with a published total, one hidden cell is the total minus its
  siblings, and two hidden cells of 1 and 2 DPE are still "3 DPE" together; so hidden cells come
  at least two at a time and weigh at least k together (else the next smallest cell is hidden
  too). Under a hidden total, the hidden members must weigh k (or all there is), else the total
  is its published members' sum. Then a linear audit: no hidden cell (nor hidden total) may be
  determined by the system of all groups' equations — two groups sharing hidden cells can pin
  one down even when each group alone looks safe — and the smallest cell that breaks such a
  chain is hidden, until none is.

Problems can also name cells *decided* elsewhere (a breakdown names the label counts the labels
route hides or shows): they take part in the groups and the audit as they are, and are never
picked. Large problems over a hierarchy of areas give each cell a *path* (volt.domain.audit): the
audit is then solved node by node, and the cells that break chains are picked in rounds — one
per exposed cell whose groups got none yet, without trial audits — so that a département of
communes with their breakdown tables is audited a few times, not once per complementary cell.

Empty cells (mass 0) hold no one: they are published and never used as a complement — except
in a group whose published total is itself under k (an area with 3 DPE), where every cell is
hidden, else the empty ones would say where the 3 DPE are. The decisions depend only on masses
and keys (never on the values), so the same data always gets the same pattern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from volt.domain.audit import Path, determined_by_blocks, determined_over_tree

Key = tuple[str, ...]  # e.g. ("commune", "06029", "label_d"): sortable, so decisions are stable
Masses = tuple[int, ...]  # one per threshold of the problem

# Cells tried (smallest first) to free a determined one, each an audit of the system: past a
# few, the smallest is hidden anyway and the audit runs again.
_TRIALS = 8


class Unit(StrEnum):
    """What a threshold counts."""

    DWELLINGS = "dwellings"
    DPE = "dpe"


class Reason(StrEnum):
    """Why a cell is hidden."""

    BELOW_MIN_DWELLINGS = "below_min_dwellings"
    BELOW_MIN_DPE = "below_min_dpe"
    COMPLEMENTARY = "complementary"


REASON_TEXT = {
    Reason.BELOW_MIN_DWELLINGS: "Built from fewer dwellings than the privacy threshold.",
    Reason.BELOW_MIN_DPE: "Built from fewer DPE than the privacy threshold.",
    Reason.COMPLEMENTARY: (
        "Hidden so that another hidden cell cannot be recovered by subtraction from a "
        "published total."
    ),
}

_BELOW = {Unit.DWELLINGS: Reason.BELOW_MIN_DWELLINGS, Unit.DPE: Reason.BELOW_MIN_DPE}


@dataclass(frozen=True)
class Thresholds:
    """The k of each unit (settings `privacy_min_dwellings`, `privacy_min_dpe`)."""

    min_dwellings: int
    min_dpe: int

    def of(self, unit: Unit) -> int:
        return self.min_dwellings if unit is Unit.DWELLINGS else self.min_dpe


@dataclass(frozen=True)
class Group:
    """Cells whose values add up to a total: a published one (`hidden_total` None) or the hidden
    cell `hidden_total` (e.g. a parent area's figure that is itself suppressed)."""

    members: tuple[Key, ...]
    hidden_total: Key | None = None


def primary_reason(masses: Masses, minimums: Masses, units: Sequence[Unit]) -> Reason | None:
    """Why this cell is hidden on its own (built from 1 … k-1 dwellings or DPE), if it is."""
    for mass, minimum, unit in zip(masses, minimums, units, strict=True):
        if 0 < mass < minimum:
            return _BELOW[unit]
    return None


def has_data(masses: Masses) -> bool:
    """A cell with a zero mass holds no one: its value is absent, not secret."""
    return all(mass > 0 for mass in masses)


def protect(
    masses: Mapping[Key, Masses],
    minimums: Masses,
    units: Sequence[Unit],
    groups: Iterable[Group],
    *,
    decided: Mapping[Key, Reason | None] | None = None,
    paths: Mapping[Key, Path] | None = None,
) -> dict[Key, Reason]:
    """The hidden cells and why: primary, then complementary until no group and no chain of
    groups lets a hidden cell (or a hidden total) be recovered.

    `masses` holds every cell of the problem; group members must be among them. Totals named by
    `hidden_total` are unknowns from elsewhere (already decided), not cells of this problem.
    `decided` cells (in `masses` too) are hidden (a reason) or published (None) elsewhere: kept
    so, never picked, and left out of the answer. `paths` (every cell and hidden total) selects
    the audit by parts and the picking by rounds, for large problems over areas.
    """
    fixed = dict(decided or {})
    problem = _Problem(masses, minimums, tuple(sorted(groups, key=_group_order)), fixed)
    hidden = _primary(problem, units, {k: r for k, r in fixed.items() if r is not None})
    while True:
        problem.complete(hidden)
        exposed = problem.determined(hidden, paths)
        picks = (
            _round(problem, exposed, hidden)
            if paths is not None
            else _one(problem, exposed, hidden)
        )
        if not picks:
            return {k: r for k, r in hidden.items() if k not in fixed}
        hidden.update(dict.fromkeys(picks, Reason.COMPLEMENTARY))


def _one(problem: _Problem, exposed: list[Key], hidden: dict[Key, Reason]) -> list[Key]:
    """The cell that frees the first exposed cell it can (trial audits decide)."""
    pick = next(filter(None, (problem.breaker(u, hidden) for u in exposed)), None)
    if pick is None:  # last resort: an empty cell, hidden, is no longer known to be empty
        pick = next(filter(None, (problem.empty_breaker(u, hidden) for u in exposed)), None)
    return [] if pick is None else [pick]


def _round(problem: _Problem, exposed: list[Key], hidden: dict[Key, Reason]) -> list[Key]:
    """One cell per exposed cell whose groups got none yet this round (`round_breaker`); empty
    cells only when no exposed cell has a cell with data to pick."""
    for empty in (False, True):
        picks: list[Key] = []
        served: set[int] = set()
        for unknown in exposed:
            groups = problem.index.get(unknown, [])
            if served.intersection(groups):
                continue
            pick = problem.round_breaker(unknown, hidden, empty=empty)
            if pick is not None and pick not in picks:
                picks.append(pick)
                served.update(groups)
        if picks:
            return picks
    return []


def _primary(
    problem: _Problem, units: Sequence[Unit], decided: Mapping[Key, Reason]
) -> dict[Key, Reason]:
    hidden: dict[Key, Reason] = dict(decided)
    for key in sorted(problem.masses):
        if key in problem.decided:
            continue
        reason = primary_reason(problem.masses[key], problem.minimums, units)
        if reason is not None:
            hidden[key] = reason
    for group in problem.groups:
        # A published total that is itself small (3 DPE): all its cells go, empty ones too,
        # else the empty cells would say which label the 3 DPE have.
        reason = primary_reason(problem.total(group), problem.minimums, units)
        if group.hidden_total is None and reason is not None:
            for member in group.members:
                if member not in problem.decided:
                    hidden.setdefault(member, reason)
    return hidden


def _group_order(group: Group) -> tuple[tuple[Key, ...], Key]:
    return group.members, group.hidden_total or ()


@dataclass(frozen=True)
class _Problem:
    masses: Mapping[Key, Masses]
    minimums: Masses
    groups: tuple[Group, ...]
    decided: Mapping[Key, Reason | None]
    index: dict[Key, list[int]] = field(init=False)  # cell or hidden total → its groups
    zeros: frozenset[Key] = field(init=False)  # members of groups whose published total is 0

    def __post_init__(self) -> None:
        index: dict[Key, list[int]] = {}
        zeros: set[Key] = set()
        for position, group in enumerate(self.groups):
            for key in {*group.members, *filter(None, [group.hidden_total])}:
                index.setdefault(key, []).append(position)
            if group.hidden_total is None and not any(any(self.masses[m]) for m in group.members):
                zeros.update(group.members)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "zeros", frozenset(zeros))

    def complete(self, hidden: dict[Key, Reason]) -> None:
        """Complementary suppression, group by group, until every group is safe."""
        changed = True
        while changed:
            changed = False
            for group in self.groups:
                while not self.safe(group, hidden):
                    pick = self.smallest([group], hidden)
                    if pick is None:  # every cell with data is hidden: nothing more to do
                        break
                    hidden[pick] = Reason.COMPLEMENTARY
                    changed = True

    def total(self, group: Group) -> Masses:
        return tuple(
            sum(self.masses[m][i] for m in group.members) for i in range(len(self.minimums))
        )

    def safe(self, group: Group, hidden: Mapping[Key, Reason]) -> bool:
        inside = [m for m in group.members if m in hidden]
        weight = [sum(self.masses[m][i] for m in inside) for i in range(len(self.minimums))]
        if group.hidden_total is not None:
            # The total is unknown; it must stay so: hidden members weigh k (or all there is).
            total = self.total(group)
            return all(w >= min(k, t) for w, k, t in zip(weight, self.minimums, total, strict=True))
        if not inside:
            return True
        if len(inside) >= 2 and all(w >= k for w, k in zip(weight, self.minimums, strict=True)):
            return True
        return self.smallest([group], hidden) is None  # nothing left to hide in this group

    def smallest(self, groups: Iterable[Group], hidden: Mapping[Key, Reason]) -> Key | None:
        """The published cell with data of the smallest masses (then key) among these groups."""
        candidates = {
            m
            for group in groups
            for m in group.members
            if m not in hidden and m not in self.decided and has_data(self.masses[m])
        }
        return min(candidates, key=lambda m: (self.masses[m], m), default=None)

    def groups_of(self, unknown: Key) -> list[Group]:
        return [self.groups[position] for position in self.index.get(unknown, [])]

    def breaker(self, unknown: Key, hidden: Mapping[Key, Reason]) -> Key | None:
        """The cell with data to hide so that `unknown` is no longer determined: the smallest
        one of its groups that frees it, else the smallest of its groups (two may be needed),
        else None — also when a group pins it alone with nothing left to hide (a lone cell with
        data under a published total: hiding more elsewhere would not help)."""
        groups = self.groups_of(unknown)
        for group in groups:
            others = [m for m in group.members if m in hidden and m != unknown]
            lone = not others and group.hidden_total in (None, unknown)
            if lone and self.smallest([group], hidden) is None:
                return None
        candidates = self._published(groups, hidden, empty=False)
        return self._freeing(unknown, candidates, hidden) or next(iter(candidates), None)

    def round_breaker(
        self, unknown: Key, hidden: Mapping[Key, Reason], *, empty: bool
    ) -> Key | None:
        """`breaker` without trial audits. A group where it is the only hidden cell pins it:
        the pick comes from such a group (None if it has nothing left to hide, as `breaker`);
        else from its smallest group that has a candidate (an area's own rows and columns
        before its siblings). The cell that already shares most groups with hidden ones is
        preferred (the likeliest to free it), then the smallest."""
        groups = self.groups_of(unknown)
        lone = [
            group
            for group in groups
            if group.hidden_total in (None, unknown)
            and not any(m in hidden and m != unknown for m in group.members)
        ]
        if not empty and any(self.smallest([group], hidden) is None for group in lone):
            return None
        for group in sorted(lone or groups, key=lambda g: (len(g.members), _group_order(g))):
            # A cell known to be 0 (under a published 0) protects nothing once hidden.
            candidates = [
                c for c in self._published([group], hidden, empty=empty) if c not in self.zeros
            ]
            if candidates:
                return min(candidates, key=lambda c: (-self._covered(c, hidden), self.masses[c], c))
        return None

    def _covered(self, cell: Key, hidden: Mapping[Key, Reason]) -> int:
        """How many of the cell's groups already hide another cell (or their total)."""
        return sum(
            1
            for group in self.groups_of(cell)
            if group.hidden_total is not None or any(m in hidden for m in group.members)
        )

    def empty_breaker(self, unknown: Key, hidden: Mapping[Key, Reason]) -> Key | None:
        """An empty cell of its groups whose hiding frees `unknown` (when no cell with data
        can): the reader then no longer knows it holds nobody."""
        candidates = self._published(self.groups_of(unknown), hidden, empty=True)
        return self._freeing(unknown, candidates, hidden)

    def _published(
        self, groups: Iterable[Group], hidden: Mapping[Key, Reason], *, empty: bool
    ) -> list[Key]:
        found = {
            m
            for g in groups
            for m in g.members
            if m not in hidden and m not in self.decided and has_data(self.masses[m]) is not empty
        }
        return sorted(found, key=lambda m: (self.masses[m], m))

    def _freeing(
        self, unknown: Key, candidates: list[Key], hidden: Mapping[Key, Reason]
    ) -> Key | None:
        for candidate in candidates[:_TRIALS]:
            if unknown not in self.determined({**hidden, candidate: Reason.COMPLEMENTARY}):
                return candidate
        return None

    def determined(
        self, hidden: Mapping[Key, Reason], paths: Mapping[Key, Path] | None = None
    ) -> list[Key]:
        """Hidden cells and hidden totals whose value the groups' equations fix exactly."""
        # Over areas, a member of a group whose published total is 0 is 0 to any reader (counts
        # are not negative): a constant, not an unknown that more hidden cells could protect.
        known = self.zeros if paths is not None else frozenset()
        equations = []
        for group in self.groups:
            terms = {m: 1.0 for m in group.members if m in hidden and m not in known}
            if group.hidden_total is not None:
                terms[group.hidden_total] = -1.0
            if terms:
                equations.append(terms)
        if paths is not None:
            return determined_over_tree(equations, paths)
        return determined_by_blocks(equations)
