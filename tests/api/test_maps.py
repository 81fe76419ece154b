"""`GET /v1/map/areas.geojson` on a hand-built world: exact GeoJSON (commune centres, dwelling-
weighted centres of the other levels), suppressed medians, pagination with `Link`, 304, and
401/404/422.

Coordinates are binary fractions (7.25, 43.75…) so that the weighted means are exact.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from tests.api.conftest import GENEROUS_LIMITS, add_user, bearer, migrated_database, open_client
from volt.api.tokens import issue_token
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role

VERSION = "map0123456789abcdef"
SOURCES = {"dpe": "2026-11-02", "enedis": "2026-06-30"}
MANIFEST = {"entries": [{"source": s, "vintage": v} for s, v in SOURCES.items()]}

COMMUNES = [
    ("06029", "Cannes", "06", "93", "200039915", 7.0174, 43.5528),
    ("06030", "Cantaron", "06", "93", "200030195", 7.3089, 43.7614),
    ("06088", "Nice", "06", "93", "200030195", 7.262, 43.7102),
]
BUILDING_COLUMNS = (
    "ban_id, annee, code_insee, code_iris, code_departement, code_region, code_epci, "
    "street_code, n_dwellings, lon, lat"
)
BUILDINGS = [
    # Cannes, Boulevard Carnot: 10 and 30 dwellings → centre (7.1875, 43.6875).
    ("06029_0870_00001", 2023, "06029", "060290104", "06", "93", "200039915", "06029_0870", 10,
     7.0, 43.5),
    ("06029_0870_00003", 2023, "06029", "060290104", "06", "93", "200039915", "06029_0870", 30,
     7.25, 43.75),
    # Cannes, Rue d'Antibes.
    ("06029_1200_00001", 2023, "06029", "060290105", "06", "93", "200039915", "06029_1200", 20,
     7.5, 43.5),
    # Without a BAN point: in no centre (its IRIS has no point at all).
    ("06029_1300_00001", 2023, "06029", "060290106", "06", "93", "200039915", "06029_1300", 12,
     None, None),
    # Nice.
    ("06088_0100_00001", 2023, "06088", "060880101", "06", "93", "200030195", "06088_0100", 40,
     7.25, 43.75),
    # 2022: another year, another centre.
    ("06029_0870_00001", 2022, "06029", "060290104", "06", "93", "200039915", "06029_0870", 10,
     7.0, 43.5),
]  # fmt: skip


def area(
    level: str,
    code: str,
    parent: tuple[str, str] | None,
    counts: tuple[int, int, int, int],
    medians: tuple[float | None, float | None, float | None],
    *,
    name: str | None = None,
    annee: int = 2023,
) -> dict[str, Any]:
    """An `areas` row: (buildings, dwellings, DPE, dwelling DPE) and the three medians a map
    shows (metered kWh/dwelling, DPE ef, DPE ep); the other figures are irrelevant here."""
    n_buildings, n_dwellings, n_dpe, n_dpe_dwelling = counts
    metered, ef, ep = medians
    return {
        "level": level,
        "code": code,
        "annee": annee,
        "name": name,
        "parent_level": parent[0] if parent else None,
        "parent_code": parent[1] if parent else None,
        "code_departement": "06" if level not in ("region", "france") else None,
        "n_buildings": n_buildings,
        "n_dwellings": n_dwellings,
        "n_dpe": n_dpe,
        "n_dpe_dwelling": n_dpe_dwelling,
        "min_building_dwellings": 10,
        "metered_kwh_per_dwelling_median": metered,
        "metered_kwh_per_dwelling_mean": 9999.0,  # never served by the map (a mean)
        "dpe_ef_kwh_m2_median": ef,
        "dpe_ep_kwh_m2_median": ep,
    }


AREAS = [
    area("france", "FR", None, (5, 112, 60, 55), (3000.0, 180.0, 240.0)),
    area("region", "93", ("france", "FR"), (5, 112, 60, 55), (3000.0, 180.0, 240.0)),
    area("departement", "06", ("region", "93"), (5, 112, 60, 55), (3000.0, 180.0, 240.0)),
    area("epci", "200039915", ("departement", "06"), (4, 72, 40, 38), (3100.0, 175.0, 230.0)),
    area("epci", "200030195", ("departement", "06"), (1, 40, 20, 17), (2900.0, 190.0, 250.0)),
    area("commune", "06029", ("epci", "200039915"), (4, 72, 40, 38), (3100.0, 175.0, 230.0),
         name="Cannes"),
    # Cantaron: 4 dwelling DPE only → DPE medians suppressed.
    area("commune", "06030", ("epci", "200030195"), (1, 12, 4, 4), (2500.0, 300.0, 390.0),
         name="Cantaron"),
    area("commune", "06088", ("epci", "200030195"), (1, 40, 20, 17), (2900.0, 190.0, 250.0),
         name="Nice"),
    area("street", "06029_0870", ("commune", "06029"), (2, 40, 30, 29), (3200.0, 170.0, 220.0),
         name="Boulevard Carnot"),
    area("street", "06029_1200", ("commune", "06029"), (1, 20, 2, 2), (2800.0, 250.0, 410.0),
         name="Rue d'Antibes"),
    area("iris", "060290106", ("commune", "06029"), (1, 12, 8, 8), (2400.0, 160.0, 200.0),
         name="Croisette"),
    area("commune", "06029", ("epci", "200039915"), (1, 10, 6, 6), (2950.0, 240.0, 400.0),
         name="Cannes", annee=2022),
    area("france", "FR", None, (1, 10, 6, 6), (2950.0, 240.0, 400.0), annee=2022),
]  # fmt: skip


@pytest.fixture(scope="module")
def world_settings(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    settings = migrated_database(database_factory, tmp_path_factory.mktemp("maps"), "maps")
    with connect(settings, DbRole.OWNER) as conn:
        cursor = conn.cursor()
        cursor.executemany(
            "INSERT INTO communes (code_insee, nom, code_departement, code_region, code_epci, "
            "lon, lat) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            COMMUNES,
        )
        cursor.executemany(
            f"INSERT INTO buildings ({BUILDING_COLUMNS}) VALUES ({', '.join(['%s'] * 11)})",
            BUILDINGS,
        )
        columns = list(AREAS[0])
        cursor.executemany(
            f"INSERT INTO areas ({', '.join(columns)}) "
            f"VALUES ({', '.join(f'%({c})s' for c in columns)})",
            AREAS,
        )
        conn.execute(
            "INSERT INTO data_loads (data_version, run_id, manifest, is_current) "
            "VALUES (%s, 'r', %s, true)",
            (VERSION, Jsonb(MANIFEST)),
        )
    return settings


Client = tuple[TestClient, dict[str, str]]


@pytest.fixture(scope="module", params=["memory", "redis"])
def client(world_settings: Settings, request: pytest.FixtureRequest) -> Iterator[Client]:
    """One app per cache backend: the response cache, its 304s and the GeoJSON re-labelling of
    cached bodies run on memory and on a real Redis."""
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    overrides = {
        "rate_limits": GENEROUS_LIMITS,
        "cache_prefix": f"m{secrets.token_hex(5)}",
        "redis_url": redis_url,
    }
    settings = load_settings(**(world_settings.model_dump() | overrides))
    user_id = add_user(settings, f"map-{secrets.token_hex(5)}@example.org")
    token = issue_token(settings, user_id, Role.READER).access_token
    with open_client(settings) as test_client:
        yield test_client, bearer(token)


def feature(
    level: str,
    code: str,
    point: tuple[float, float] | None,
    parent: tuple[str, str] | None,
    counts: tuple[int, int, int, int],
    medians: tuple[float | None, float | None, float | None],
    *,
    name: str | None = None,
    year: int = 2023,
) -> dict[str, Any]:
    metered, ef, ep = medians
    return {
        "type": "Feature",
        "id": code,
        "geometry": {"type": "Point", "coordinates": list(point)} if point else None,
        "properties": {
            "level": level,
            "code": code,
            "name": name,
            "parent_level": parent[0] if parent else None,
            "parent_code": parent[1] if parent else None,
            "year": year,
            "n_buildings": counts[0],
            "n_dwellings": counts[1],
            "n_dpe": counts[2],
            "n_dpe_dwelling": counts[3],
            "metered_kwh_per_dwelling_median": metered,
            "dpe_ef_kwh_m2_median": ef,
            "dpe_ep_kwh_m2_median": ep,
            "metered_suppressed": metered is None,
            "dpe_suppressed": ef is None,
        },
    }


def collection(
    level: str, features: list[dict[str, Any]], next_: str | None = None, year: int | None = 2023
) -> dict[str, Any]:
    return {
        "data_version": VERSION,
        "sources": SOURCES,
        "type": "FeatureCollection",
        "level": level,
        "year": year,
        "features": features,
        "next": next_,
    }


CANNES = feature(
    "commune",
    "06029",
    (7.0174, 43.5528),
    ("epci", "200039915"),
    (4, 72, 40, 38),
    (3100.0, 175.0, 230.0),
    name="Cannes",
)
CANTARON = feature(
    "commune",
    "06030",
    (7.3089, 43.7614),
    ("epci", "200030195"),
    (1, 12, 4, 4),
    (2500.0, None, None),
    name="Cantaron",
)
NICE = feature(
    "commune",
    "06088",
    (7.262, 43.7102),
    ("epci", "200030195"),
    (1, 40, 20, 17),
    (2900.0, 190.0, 250.0),
    name="Nice",
)


def test_communes_of_an_epci_sit_at_their_centre_with_suppressed_medians(
    client: Client,
) -> None:
    test_client, auth = client
    response = test_client.get("/v1/map/areas.geojson?level=commune&parent=200030195", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert "link" not in response.headers
    assert response.json() == collection("commune", [CANTARON, NICE])


def test_streets_sit_at_the_dwelling_weighted_centre_of_their_buildings(client: Client) -> None:
    test_client, auth = client
    response = test_client.get("/v1/map/areas.geojson?level=street&parent=06029", headers=auth)
    assert response.json() == collection(
        "street",
        [
            feature(
                "street",
                "06029_0870",
                (7.1875, 43.6875),
                ("commune", "06029"),
                (2, 40, 30, 29),
                (3200.0, 170.0, 220.0),
                name="Boulevard Carnot",
            ),
            feature(
                "street",
                "06029_1200",
                (7.5, 43.5),
                ("commune", "06029"),
                (1, 20, 2, 2),
                (2800.0, None, None),
                name="Rue d'Antibes",
            ),
        ],
    )


def test_larger_levels_and_areas_without_a_point(client: Client) -> None:
    test_client, auth = client
    departements = test_client.get("/v1/map/areas.geojson?level=departement", headers=auth)
    # (70 + 217.5 + 150 + 290) / 100 and (435 + 1312.5 + 870 + 1750) / 100
    assert departements.json() == collection(
        "departement",
        [
            feature(
                "departement",
                "06",
                (7.275, 43.675),
                ("region", "93"),
                (5, 112, 60, 55),
                (3000.0, 180.0, 240.0),
            )
        ],
    )
    france = test_client.get("/v1/map/areas.geojson?level=france", headers=auth).json()
    assert france["features"][0]["geometry"] == {"type": "Point", "coordinates": [7.275, 43.675]}
    iris = test_client.get("/v1/map/areas.geojson?level=iris&parent=06029", headers=auth)
    assert iris.json() == collection(
        "iris",
        [
            feature(
                "iris",
                "060290106",
                None,
                ("commune", "06029"),
                (1, 12, 8, 8),
                (2400.0, 160.0, 200.0),
                name="Croisette",
            )
        ],
    )


def test_another_year_and_empty_answers(client: Client) -> None:
    test_client, auth = client
    url = "/v1/map/areas.geojson?level=commune"
    in_2022 = test_client.get(f"{url}&year=2022", headers=auth).json()
    assert in_2022 == collection(
        "commune",
        [
            feature(
                "commune",
                "06029",
                (7.0174, 43.5528),
                ("epci", "200039915"),
                (1, 10, 6, 6),
                (2950.0, 240.0, 400.0),
                name="Cannes",
                year=2022,
            )
        ],
        year=2022,
    )
    assert test_client.get(f"{url}&year=2019", headers=auth).json() == collection(
        "commune", [], year=2019
    )
    # Cantaron exists (as a commune) but has no IRIS: no year to default to, no feature.
    no_iris = test_client.get("/v1/map/areas.geojson?level=iris&parent=06030", headers=auth)
    assert no_iris.json() == collection("iris", [], year=None)


def test_pages_carry_next_and_a_link_header_even_when_cached(client: Client) -> None:
    test_client, auth = client
    url = "/v1/map/areas.geojson?level=commune&limit=2"
    for _ in range(2):  # computed, then from the response cache
        first = test_client.get(url, headers=auth)
        assert first.json() == collection("commune", [CANNES, CANTARON], next_="06030")
        assert first.headers["content-type"] == "application/geo+json"
        assert first.headers["link"] == (
            '</v1/map/areas.geojson?level=commune&limit=2&after=06030>; rel="next"'
        )
    second = test_client.get(f"{url}&after=06030", headers=auth)
    assert second.json() == collection("commune", [NICE])
    assert "link" not in second.headers
    again = test_client.get(
        f"{url}&after=06030", headers=auth | {"If-None-Match": second.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("level=canton", "The request does not match the API's schema."),
        ("", "The request does not match the API's schema."),
        ("level=commune&limit=2001", "The request does not match the API's schema."),
        ("level=commune&parent=06;drop", "The request does not match the API's schema."),
        ("level=france&parent=FR", "The france level has no parent."),
    ],
)
def test_invalid_input_is_a_422_problem(client: Client, query: str, detail: str) -> None:
    test_client, auth = client
    response = test_client.get(f"/v1/map/areas.geojson?{query}", headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail


def test_an_unknown_parent_is_a_404_problem(client: Client) -> None:
    test_client, auth = client
    response = test_client.get("/v1/map/areas.geojson?level=street&parent=06099", headers=auth)
    assert response.status_code == 404
    assert response.json() == {
        "type": "https://volt.example/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No commune 06099 in the data.",
        "hint": "Find codes with GET /v1/places/search?q=… or GET /v1/map/areas.geojson.",
    }


def test_no_token_is_a_401(client: Client) -> None:
    test_client, _ = client
    response = test_client.get("/v1/map/areas.geojson?level=commune")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
