"""Replay worlds for the source tests: real extracts (tests/fixtures/real) and a small sample.

Import the helpers (`make_real_world`, `make_sample_world`) from other source tests as needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from volt.sample import generate_sample

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real"
# Which real extract goes where in a world directory.
REAL_WORLD_FILES = {
    "enedis/cannes-enedis-2022.csv": "cannes-enedis-2022.csv",
    "dpe/cannes-dpe-legacy.jsonl": "cannes-dpe-legacy.jsonl",
    "dpe/lozere-dpe-legacy.csv": "lozere-dpe-legacy.csv",
    "ban/adresses-48.csv": "adresses-48.csv",
    "geocoder/cannes.csv": "cannes-ban-search-csv-result.csv",
}
SAMPLE_COMMUNES = (
    3  # Lyon (69), Ajaccio (2A), Cannes (06): three départements, all Enedis spellings
)


def make_real_world(root: Path) -> Path:
    for target, source in REAL_WORLD_FILES.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / source, root / target)
    return root


def make_sample_world(root: Path) -> Path:
    generate_sample(root, communes=SAMPLE_COMMUNES, years=(2022, 2023), seed=42)
    return root
