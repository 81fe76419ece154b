"""`GET /v1/metrics`: the registry and the suppression rules as the settings make them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import CLIENT_IP, GENEROUS_LIMITS, add_user, bearer, migrated_database
from volt.api.tokens import issue_token
from volt.app import create_app
from volt.config import load_settings
from volt.domain.metrics import METRICS
from volt.domain.roles import Role


@pytest.fixture(scope="module")
def client_and_auth(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """No data load at all: the registry does not depend on one. Thresholds not the defaults."""
    base = migrated_database(database_factory, tmp_path_factory.mktemp("metrics"), "metrics")
    overrides: dict[str, Any] = {
        "rate_limits": GENEROUS_LIMITS,
        "privacy_min_dwellings": 12,
        "privacy_min_dpe": 7,
    }
    settings = load_settings(**(base.model_dump() | overrides))
    user_id = add_user(settings, "metrics-reader@example.org")
    token = issue_token(settings, user_id, Role.READER).access_token
    with TestClient(create_app(settings), client=(CLIENT_IP, 50000)) as client:
        yield client, bearer(token)


def test_the_registry_with_the_configured_thresholds(
    client_and_auth: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = client_and_auth
    response = client.get("/v1/metrics", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["slug"] for item in body["items"]] == [m.slug for m in METRICS]
    by_slug = {item["slug"]: item for item in body["items"]}
    levels = ["street", "iris", "commune", "epci", "departement", "region", "france"]
    assert by_slug["n_dwellings"] == {
        "slug": "n_dwellings",
        "label": "Dwellings",
        "unit": "dwellings",
        "description": "Residential delivery points Enedis meters there.",
        "kind": "count",
        "levels": levels,
        "gates": [],
        "default": False,
        "filterable": False,
    }
    assert by_slug["metered_kwh_m2_median"] == {
        "slug": "metered_kwh_m2_median",
        "label": "Median metered electricity per m²",
        "unit": "kWh/m²/yr",
        "description": (
            "Enedis kWh per dwelling ÷ the mean DPE surface at the address, per building: median."
        ),
        "kind": "quantile",
        "levels": levels,
        "gates": [
            {"count": "n_dwellings", "unit": "dwellings", "minimum": 12},
            {"count": "n_dpe_dwelling", "unit": "dpe", "minimum": 7},
        ],
        "default": True,
        "filterable": False,
    }
    assert body["suppression"] == {
        "min_dwellings": 12,
        "min_dpe": 7,
        "reasons": {
            "below_min_dwellings": "Built from fewer dwellings than the privacy threshold.",
            "below_min_dpe": "Built from fewer DPE than the privacy threshold.",
            "complementary": (
                "Hidden so that another hidden cell cannot be recovered by subtraction from a "
                "published total."
            ),
        },
    }


def test_the_registry_needs_a_token(client_and_auth: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = client_and_auth
    response = client.get("/v1/metrics")
    assert (response.status_code, response.headers["content-type"]) == (
        401,
        "application/problem+json",
    )
