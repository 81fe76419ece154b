"""Samples generated once per test session (no database needed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from volt.sample import SampleReport, generate_sample

DEMO_COMMUNES = 12
MIX_COMMUNES = 26  # enough for >= 30,000 DPE rows


@dataclass(frozen=True)
class Sample:
    root: Path
    report: SampleReport


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    root = tmp_path_factory.mktemp("demo")
    return Sample(root, generate_sample(root, communes=DEMO_COMMUNES, seed=42))


@pytest.fixture(scope="session")
def large(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    root = tmp_path_factory.mktemp("large")
    return Sample(root, generate_sample(root, communes=MIX_COMMUNES, seed=7))
