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

Empty cells (mass 0) hold no one: they are published and never used as a complement — except
in a group whose published total is itself under k (an area with 3 DPE), where every cell is
hidden, else the empty ones would say where the 3 DPE are. The decisions depend only on masses
and keys (never on the values), so the same data always gets the same pattern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

Key = tuple[str, ...]  # e.g. ("commune", "06029", "label_d"): sortable, so decisions are stable
Masses = tuple[int, ...]  # one per threshold of the problem

# Eigenvalues of AAᵀ under this (relative) are zero: the equations have coefficients ±1, so
# their non-zero eigenvalues stay far above it.
_RANK_TOLERANCE = 1e-9
# An unknown is determined when its projection on the row space has norm² 1. Rounding errors
# are ~1e-12 here; erring towards "determined" only hides one cell more.
_PROJECTION_TOLERANCE = 1e-6
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
) -> dict[Key, Reason]:
    """The hidden cells and why: primary, then complementary until no group and no chain of
    groups lets a hidden cell (or a hidden total) be recovered.

    `masses` holds every cell of the problem; group members must be among them. Totals named by
    `hidden_total` are unknowns from elsewhere (already decided), not cells of this problem.
    """
    problem = _Problem(masses, minimums, tuple(sorted(groups, key=_group_order)))
    hidden = _primary(problem, units)
    while True:
        problem.complete(hidden)
        exposed = problem.determined(hidden)
        pick = next(filter(None, (problem.breaker(u, hidden) for u in exposed)), None)
        if pick is None:  # last resort: an empty cell, hidden, is no longer known to be empty
            pick = next(filter(None, (problem.empty_breaker(u, hidden) for u in exposed)), None)
        if pick is None:
            return hidden
        hidden[pick] = Reason.COMPLEMENTARY


def _primary(problem: _Problem, units: Sequence[Unit]) -> dict[Key, Reason]:
    hidden: dict[Key, Reason] = {}
    for key in sorted(problem.masses):
        reason = primary_reason(problem.masses[key], problem.minimums, units)
        if reason is not None:
            hidden[key] = reason
    for group in problem.groups:
        # A published total that is itself small (3 DPE): all its cells go, empty ones too,
        # else the empty cells would say which label the 3 DPE have.
        reason = primary_reason(problem.total(group), problem.minimums, units)
        if group.hidden_total is None and reason is not None:
            for member in group.members:
                hidden.setdefault(member, reason)
    return hidden


def _group_order(group: Group) -> tuple[tuple[Key, ...], Key]:
    return group.members, group.hidden_total or ()


@dataclass(frozen=True)
class _Problem:
    masses: Mapping[Key, Masses]
    minimums: Masses
    groups: tuple[Group, ...]

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
            if m not in hidden and has_data(self.masses[m])
        }
        return min(candidates, key=lambda m: (self.masses[m], m), default=None)

    def groups_of(self, unknown: Key) -> list[Group]:
        return [g for g in self.groups if unknown in g.members or unknown == g.hidden_total]

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
            if m not in hidden and has_data(self.masses[m]) is not empty
        }
        return sorted(found, key=lambda m: (self.masses[m], m))

    def _freeing(
        self, unknown: Key, candidates: list[Key], hidden: Mapping[Key, Reason]
    ) -> Key | None:
        for candidate in candidates[:_TRIALS]:
            if unknown not in self.determined({**hidden, candidate: Reason.COMPLEMENTARY}):
                return candidate
        return None

    def determined(self, hidden: Mapping[Key, Reason]) -> list[Key]:
        """Hidden cells and hidden totals whose value the groups' equations fix exactly."""
        equations = []
        for group in self.groups:
            terms = {m: 1.0 for m in group.members if m in hidden}
            if group.hidden_total is not None:
                terms[group.hidden_total] = -1.0
            if terms:
                equations.append(terms)
        found: list[Key] = []
        for block in _blocks(equations):
            found.extend(_determined_in(block))
        return sorted(found)


def _blocks(equations: list[dict[Key, float]]) -> list[list[dict[Key, float]]]:
    """Equations split into independent systems (no unknown in common), for small matrices."""
    parent: dict[Key, Key] = {}

    def root(key: Key) -> Key:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for terms in equations:
        first, *others = terms
        for other in others:
            parent[root(other)] = root(first)
    blocks: dict[Key, list[dict[Key, float]]] = {}
    for terms in equations:
        blocks.setdefault(root(next(iter(terms))), []).append(terms)
    return [blocks[k] for k in sorted(blocks)]


def _determined_in(equations: list[dict[Key, float]]) -> list[Key]:
    """Unknowns fixed by these equations A·x = b: those whose unit vector lies in the row
    space of A, i.e. whose diagonal entry of the projection Aᵀ(AAᵀ)⁺A on it is 1.

    AAᵀ is one row and column per equation (a few hundred), where an SVD of A would be one per
    unknown (thousands): the pseudo-inverse costs little, and each unknown (two or three
    equations) reads a handful of its entries.
    """
    terms_of: dict[Key, list[tuple[int, float]]] = {}
    for row, terms in enumerate(equations):
        for key, coefficient in terms.items():
            terms_of.setdefault(key, []).append((row, coefficient))
    gram = np.zeros((len(equations), len(equations)))
    for entries in terms_of.values():
        for i, a in entries:
            for j, b in entries:
                gram[i, j] += a * b
    values, vectors = np.linalg.eigh(gram)
    kept = values > _RANK_TOLERANCE * max(1.0, float(values.max(initial=0.0)))
    pseudo_inverse = (vectors[:, kept] / values[kept]) @ vectors[:, kept].T
    determined = []
    for key in sorted(terms_of):
        entries = terms_of[key]
        projected = sum(a * b * pseudo_inverse[i, j] for i, a in entries for j, b in entries)
        if projected > 1 - _PROJECTION_TOLERANCE:
            determined.append(key)
    return determined
