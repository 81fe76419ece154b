"""Same seed, same bytes; another seed, other files; --years leaves the BAN and the DPE alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.sample.conftest import DEMO_COMMUNES, Sample
from volt.sample import generate_sample


def digests(root: Path, subdir: str = "") -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / subdir).rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(demo: Sample, tmp_path: Path) -> None:
    again = generate_sample(tmp_path, communes=DEMO_COMMUNES, seed=42)
    assert digests(tmp_path) == digests(demo.root)
    assert again.files == demo.report.files


def test_another_seed_changes_every_file(demo: Sample, tmp_path: Path) -> None:
    generate_sample(tmp_path, communes=DEMO_COMMUNES, seed=43)
    ours, theirs = digests(demo.root), digests(tmp_path)
    assert ours.keys() == theirs.keys()
    assert [name for name in ours if ours[name] == theirs[name]] == []


def test_years_do_not_change_ban_and_dpe_files(demo: Sample, tmp_path: Path) -> None:
    generate_sample(tmp_path, communes=DEMO_COMMUNES, seed=42, years=(2022,))
    assert digests(tmp_path, "ban") == digests(demo.root, "ban")
    assert digests(tmp_path, "dpe") == digests(demo.root, "dpe")
    enedis_2022 = "enedis/consommation-annuelle-residentielle-par-adresse-2022-06.csv"
    assert (tmp_path / enedis_2022).read_bytes().splitlines()[0] == (
        (demo.root / enedis_2022).read_bytes().splitlines()[0]
    )
