"""The bronze manifest: what was received, byte for byte (sha256, bytes, rows, source, vintage)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class ManifestEntry:
    source: str  # enedis | dpe | ban
    path: str  # relative to the bronze run directory
    original_path: str
    sha256: str
    bytes: int
    rows: int  # data records (header excluded; quoted line breaks not counted)
    format: str  # csv | jsonl
    vintage: str  # when the source published this content (file date for local files)
    received_at: str


@dataclass(frozen=True)
class Manifest:
    run_id: str
    origin: str  # files | api
    entries: tuple[ManifestEntry, ...]

    def for_source(self, source: str) -> list[ManifestEntry]:
        return [e for e in self.entries if e.source == source]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "origin": self.origin,
            "entries": [asdict(e) for e in self.entries],
        }

    def write(self, directory: Path) -> Path:
        path = directory / MANIFEST_NAME
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        data = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
        entries = tuple(ManifestEntry(**e) for e in data["entries"])
        return cls(run_id=data["run_id"], origin=data["origin"], entries=entries)
