"""Typed stage and run reports: what each ETL stage read, wrote, rejected and flagged."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FileReport:
    """One input file as a stage saw it."""

    path: str
    rows: int
    extra_columns: tuple[str, ...] = ()
    header_variant: str = ""


@dataclass(frozen=True)
class StageReport:
    """One stage on one source. rows_in = rows_out + rows_rejected + rows_out_of_scope
    (the last is non-zero only with --year/--departement)."""

    stage: str
    source: str
    rows_in: int
    rows_out: int
    rows_rejected: int
    rows_flagged: int = 0
    rows_out_of_scope: int = 0
    seconds: float = 0.0
    files: tuple[FileReport, ...] = ()
    outputs: tuple[str, ...] = ()
    reject_reasons: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_out + self.rows_rejected + self.rows_out_of_scope

    @property
    def rows_per_second(self) -> float:
        return self.rows_in / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["balanced"] = self.balanced
        data["rows_per_second"] = round(self.rows_per_second, 1)
        return data


@dataclass(frozen=True)
class RunReport:
    run_id: str
    status: str  # running | succeeded | failed | blocked
    stages: tuple[StageReport, ...]
    seconds: float
    stopped_after: str
    message: str = ""
    # JSON-ready extras: geocoding by département, gold metrics, quality gates, data_version.
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "stopped_after": self.stopped_after,
            "message": self.message,
            "stages": [s.to_dict() for s in self.stages],
            "details": self.details,
        }
