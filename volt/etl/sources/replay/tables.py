"""Typed rows of one replayed dataset and the API views over them (field spellings per API).

A *table* holds canonical rows (registry column names, typed values); a *view* is what one API
publishes from it: the same rows under that API's key spelling.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from volt.etl.sources.registry import SourceSpec, normalise_header

Row = dict[str, Any]
Filters = tuple[tuple[str, tuple[str, ...]], ...]  # (canonical column, accepted texts)

# A fixed date keeps the replayed metadata deterministic; world.json or World.update change it.
DEFAULT_UPDATED_AT = "2025-01-06T03:00:00.000Z"
FILTER_CACHE_SIZE = (
    64  # distinct filter sets a fetch run asks for (years × départements) fit easily
)


def as_text(value: Any) -> str:
    """A value as the APIs compare and print it: `19.0` is `19`, booleans lower case, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def typed_value(text: str | None, column_type: str) -> Any:
    """A CSV cell typed as the JSON APIs publish it: numbers as numbers, codes as strings."""
    if text is None or text == "":
        return None
    if column_type in ("int", "float", "year"):
        try:
            number = float(text)
        except ValueError:
            # Trap: decimal commas in some extracts ("1208,4"); published as received.
            return text
        if column_type == "float":
            return number
        return int(number) if number.is_integer() else number
    # Trap: codes keep their leading zeros (06029, IRIS 060290102): never parsed as numbers.
    return text


def canonical_lookup(spec: SourceSpec) -> dict[str, str]:
    """Every known spelling (normalised) → canonical column name."""
    lookup: dict[str, str] = {}
    for column in spec.columns.values():
        for spelling in (*column.aliases, column.name):
            lookup[normalise_header(spelling)] = column.name
    return lookup


@dataclass(frozen=True)
class Snapshot:
    """One consistent state of a table: handlers read a snapshot, updates replace it whole."""

    version: int
    rows: tuple[Row, ...]
    data_updated_at: str
    updated_at: str


@dataclass
class Table:
    """Canonical rows of one source (Enedis or DPE), shared by every view of that source."""

    name: str
    spec: SourceSpec
    _snapshot: Snapshot
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _filtered: dict[tuple[int, Filters], list[int]] = field(default_factory=dict)

    @classmethod
    def create(cls, name: str, spec: SourceSpec, rows: Iterable[Row], updated_at: str) -> Table:
        return cls(name, spec, Snapshot(1, tuple(rows), updated_at, updated_at))

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def replace(
        self,
        rows: Iterable[Mapping[str, Any]] | None,
        data_updated_at: str | None,
        updated_at: str | None,
    ) -> Snapshot:
        """Simulate a source update: new rows (any registry spelling) and/or new dates."""
        lookup = canonical_lookup(self.spec)
        with self._lock:
            old = self._snapshot
            new_rows = old.rows
            if rows is not None:
                new_rows = tuple(
                    {lookup.get(normalise_header(k), k): v for k, v in row.items()} for row in rows
                )
            data_date = data_updated_at or old.data_updated_at
            self._snapshot = Snapshot(
                old.version + 1,
                new_rows,
                data_date,
                updated_at or data_updated_at or old.updated_at,
            )
            self._filtered.clear()
            return self._snapshot

    def filtered(self, snap: Snapshot, filters: Filters) -> list[int]:
        """Positions (0-based, ascending) of the snapshot's rows that pass every filter."""
        key = (snap.version, filters)
        with self._lock:
            hit = self._filtered.get(key)
        if hit is not None:
            return hit
        positions = [
            n
            for n, row in enumerate(snap.rows)
            if all(as_text(row.get(col)) in accepted for col, accepted in filters)
        ]
        with self._lock:
            if len(self._filtered) >= FILTER_CACHE_SIZE:
                self._filtered.clear()
            self._filtered[key] = positions
        return positions


@dataclass(frozen=True)
class View:
    """One API's publication of a table: dataset id, title and the key of each canonical column."""

    dataset_id: str
    title: str
    table: Table
    keys: Mapping[str, str]  # canonical → key on the wire
    year_as_text: bool = False  # Explore: `annee` is a date field, printed "2023"

    @property
    def wire_to_canonical(self) -> dict[str, str]:
        return {wire: canonical for canonical, wire in self.keys.items()}

    def wire_row(self, row: Row, *, nulls: bool) -> Row:
        """The row under this view's keys; data-fair omits null fields, Explore keeps them."""
        out: Row = {}
        for canonical, wire in self.keys.items():
            value = row.get(canonical)
            if value is None and not nulls:
                continue
            if self.year_as_text and value is not None and self._is_year(canonical):
                value = as_text(value)
            out[wire] = value
        return out

    def _is_year(self, canonical: str) -> bool:
        column = self.table.spec.columns.get(canonical)
        return column is not None and column.type == "year"

    def field_types(self) -> list[tuple[str, str]]:
        """(wire key, registry type) of every published column, in order."""
        columns = self.table.spec.columns
        return [
            (wire, columns[c].type if c in columns else "text") for c, wire in self.keys.items()
        ]


def row_identity(table: str, position: int) -> tuple[str, int]:
    """data-fair's `_id` and `_rand` for a row: deterministic stand-ins for random values."""
    digest = hashlib.blake2b(f"{table}:{position}".encode(), digest_size=12).hexdigest()
    return digest[:20], int(digest[20:], 16) % 1_000_000
