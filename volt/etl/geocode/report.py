"""Typed report of the geocoding stage: rows in, status counts, per method and per département."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DepartementRate:
    """Geocoding outcome of one département's Enedis rows."""

    code_departement: str
    rows: int
    matched: int
    ambiguous: int
    not_found: int

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 0.0


@dataclass(frozen=True)
class GeocodeReport:
    """rows_in = matched + ambiguous + not_found; by_method counts the rows each method decided."""

    rows_in: int
    matched: int
    ambiguous: int
    not_found: int
    by_method: dict[str, int]
    by_departement: tuple[DepartementRate, ...]
    seconds: float

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.matched + self.ambiguous + self.not_found

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows_in if self.rows_in else 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows_in / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["match_rate"] = round(self.match_rate, 4)
        data["rows_per_second"] = round(self.rows_per_second, 1)
        return data
