"""Département codes stay text: lost zeros restored, Corsica and overseas kept."""

from __future__ import annotations

import pytest

from volt.domain.codes import departement_of, normalise_departement


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("6", "06"), ("06", "06"), (" 2a ", "2A"), ("2B", "2B"), ("974", "974"), ("95", "95")],
)
def test_departements_are_normalised(raw: str, expected: str) -> None:
    assert normalise_departement(raw) == expected


@pytest.mark.parametrize("raw", ["00", "96", "20", "100", "2C", "979", "", "x", None])
def test_non_departements_are_refused(raw: str | None) -> None:
    assert normalise_departement(raw) is None


@pytest.mark.parametrize(
    ("insee", "dep"), [("06029", "06"), ("2A004", "2A"), ("97411", "974"), ("75056", "75")]
)
def test_departement_of_insee(insee: str, dep: str) -> None:
    assert departement_of(insee) == dep
