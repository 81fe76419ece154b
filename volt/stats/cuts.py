"""Suppression problems over the DPE cuts of `area_cuts` (volt.domain.cuts): the DPE count of
each value of a dimension, and the label counts of each value (a breakdown table).

- Cut counts: per area, one cell per value, adding up to the area's published `n_dpe`, and over
  siblings to their parent's cut. The filtered statistics and the breakdown read this one
  problem, so a cut count gets the same pattern on both routes.
- Breakdown: per area, a table value × label. Each value's row adds up to its cut count (hidden
  or not: then the row sums to that hidden total), each label's column to the area's label
  count as the labels route shows or hides it, all cells to the area's labelled DPE; over
  siblings, each cell adds up to the parent's. The cut counts and label counts the table names
  are decided by their own problems (solved before it in the family) and never changed here;
  their own row equations (cut counts add up to `n_dpe`, label counts to the labelled DPE) join
  the audit, so the table cannot give a hidden one away.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from volt.domain.cuts import VALUES, Dimension
from volt.domain.metrics import AreaLevel
from volt.domain.privacy import Group, Key, Masses, Reason, Unit
from volt.stats.cut_schemas import LabelKind
from volt.stats.hierarchy import (
    LABELS,
    FamilyArea,
    FamilyProblem,
    Local,
    Problem,
    cell_key,
    label_problem,
)
from volt.stats.queries import CUT_PREFIX

# The count columns of each label kind, in `areas` and `area_cuts` alike.
LABEL_PREFIX = {
    LabelKind.ETIQUETTE_DPE: "n_label",
    LabelKind.ETIQUETTE_GES: "n_ges",
    LabelKind.LABEL_RECOMPUTED: "n_label_recomputed",
}
CUT_DPE = CUT_PREFIX + "n_dpe"


def cut_mass(area: FamilyArea, value: str, column: str) -> int:
    """A count of the area's cut (0 when the cut is empty: gold has no row for it)."""
    cut = area.cuts.get(value)
    return 0 if cut is None else int(cut[CUT_PREFIX + column] or 0)


@dataclass(frozen=True)
class CutCountProblem:
    """The DPE count of each value of `dimension`, per area."""

    dimension: Dimension
    units: tuple[Unit, ...] = (Unit.DPE,)
    by_parts: bool = True

    @property
    def name(self) -> str:
        return f"cut:{self.dimension.value}"

    @property
    def items(self) -> tuple[str, ...]:
        return VALUES[self.dimension]

    @property
    def columns(self) -> set[str]:
        return set()

    def masses(self, area: FamilyArea) -> list[Masses]:
        return [(cut_mass(area, value, "n_dpe"),) for value in self.items]

    def local(self, level: AreaLevel, area: FamilyArea, hidden: Mapping[Key, Reason]) -> Local:
        # The values of one dimension add up to the area's n_dpe, which is published.
        return Local([Group(tuple(cell_key(self, level, area.code, v) for v in self.items))])


@dataclass(frozen=True)
class BreakdownProblem:
    """The label counts (`by`) of each value of `dimension`, per area: a table."""

    dimension: Dimension
    by: LabelKind
    units: tuple[Unit, ...] = (Unit.DPE,)
    by_parts: bool = True

    @property
    def name(self) -> str:
        return f"breakdown:{self.dimension.value}:{self.by.value}"

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(item(value, label) for value in VALUES[self.dimension] for label in LABELS)

    @property
    def columns(self) -> set[str]:
        return set()

    @property
    def counts(self) -> CutCountProblem:
        return CutCountProblem(self.dimension)

    @property
    def labels(self) -> Problem:
        return label_problem(LABEL_PREFIX[self.by])

    def masses(self, area: FamilyArea) -> list[Masses]:
        prefix = LABEL_PREFIX[self.by]
        return [
            (cut_mass(area, value, f"{prefix}_{label}"),)
            for value in VALUES[self.dimension]
            for label in LABELS
        ]

    def local(self, level: AreaLevel, area: FamilyArea, hidden: Mapping[Key, Reason]) -> Local:
        def cell(value: str, label: str) -> Key:
            return cell_key(self, level, area.code, item(value, label))

        values = VALUES[self.dimension]
        local = Local()
        decided = _Decided(local, hidden)
        counts = dict(zip(values, self.counts.masses(area), strict=True))
        for value in values:
            total = decided.add(cell_key(self.counts, level, area.code, value), counts[value])
            local.groups.append(Group(tuple(cell(value, label) for label in LABELS), total))
        labels = dict(zip(LABELS, self.labels.masses(area), strict=True))
        for label in LABELS:
            total = decided.add(cell_key(self.labels, level, area.code, label), labels[label])
            local.groups.append(Group(tuple(cell(value, label) for value in values), total))
        local.groups.append(Group(tuple(cell(v, label) for v in values for label in LABELS)))
        # The other problems' own rows: hidden cut counts add up to n_dpe minus the published
        # ones, hidden label counts to the labelled DPE minus the published ones.
        for problem in (self.counts, self.labels):
            kept = tuple(k for k in local.decided if k[0] == problem.name)
            if kept:
                local.groups.append(Group(kept))
        return local


@dataclass(frozen=True)
class _Decided:
    """Collects the cells of other problems a table names (the hidden ones only: a published
    total is a constant of its group)."""

    local: Local
    hidden: Mapping[Key, Reason]

    def add(self, key: Key, masses: Masses) -> Key | None:
        reason = self.hidden.get(key)
        if reason is None:
            return None
        self.local.masses[key] = masses
        self.local.decided[key] = reason
        return key


def item(value: str, label: str) -> str:
    """A breakdown cell's item: value and label."""
    return f"{value}/{label}"


def breakdown_problems(dimension: Dimension, by: LabelKind) -> list[FamilyProblem]:
    """What a breakdown solves, in order: the labels, the cut counts, then the table."""
    table = BreakdownProblem(dimension, by)
    return [table.labels, table.counts, table]
