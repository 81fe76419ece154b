"""The zones (bronze, silver, gold) of one volt installation, on the local disk.

`VOLT_ZONES_URL` is a path or a `file://` URL; object storage (s3://) is not supported yet and is
refused with a clear message rather than half-working.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from volt.errors import ConfigError


@dataclass(frozen=True)
class Zones:
    root: Path

    @classmethod
    def from_url(cls, url: str) -> Zones:
        parsed = urlparse(url)
        if parsed.scheme in ("", "file"):
            path = Path(parsed.path if parsed.scheme == "file" else url).expanduser()
            return cls(path.resolve())
        raise ConfigError(
            f"VOLT_ZONES_URL={url!r}: only local paths are supported so far.",
            hint="Point VOLT_ZONES_URL at a local directory (or unset it for <data dir>/zones).",
        )

    def bronze(self, run_id: str) -> Path:
        return self.root / "bronze" / run_id

    def silver(self, run_id: str) -> Path:
        return self.root / "silver" / run_id

    def gold(self, run_id: str) -> Path:
        return self.root / "gold" / run_id

    def work(self, run_id: str) -> Path:
        """Scratch space of a run (DuckDB spill files, intermediate parquet); removed at the end."""
        return self.root / "_work" / run_id

    def run_report(self, run_id: str) -> Path:
        return self.root / "runs" / f"{run_id}.json"
