"""`GET /v1/buildings` and `GET /v1/map/buildings.geojson` on a hand-built world: exact JSON,
DPE suppression (too few DPE, and complementary), pagination, exports, 304, 401/404/422.

The world, 2023. Cannes (06029): Boulevard Carnot has a building with 2 dwelling DPE (hidden),
so the street total minus its published buildings would show it — its smallest published
building (8 DPE) is hidden as well; Rue d'Antibes has a published building and one without any
DPE (nor a BAN point); Avenue de Grasse has a building with whole-building DPE only, and a row
under 10 dwellings, which Enedis never publishes (the guard must drop it). Nice (06088): a lone
withheld building that only the commune can protect, at a price. 06030 has no buildings.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from tests.api.conftest import GENEROUS_LIMITS, add_user, bearer, migrated_database, open_client
from volt.api.tokens import issue_token
from volt.buildings.queries import SuppressionCell
from volt.buildings.schemas import BuildingPage
from volt.buildings.suppression import withheld
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.privacy import Reason, Thresholds
from volt.domain.roles import Role

VERSION = "bld0123456789abcdef"
SOURCES = {"ban": "2026-10-01", "dpe": "2026-11-02", "enedis": "2026-06-30"}
MANIFEST = {"entries": [{"source": s, "vintage": v} for s, v in SOURCES.items()]}
CANNES = ("06029", "06", "93", "200039915")  # insee, département, région, EPCI
NONE7 = [0] * 7


def building(
    ban_id: str,
    *,
    annee: int = 2023,
    numero: str,
    nom_voie: str | None,
    iris: str,
    dwellings: int,
    kwh: float,
    dpe: tuple[int, int],
    surface: float | None = None,
    ef_ep: tuple[float | None, float | None] = (None, None),
    labels: tuple[list[int], list[int], list[int]] = (NONE7, NONE7, NONE7),
    heating: tuple[float | None, str | None] = (None, None),
    point: tuple[float, float] | None = None,
    commune: tuple[str, str, str, str] = CANNES,
) -> dict[str, Any]:
    """A `buildings` row as the gold stage writes it (in Cannes unless told otherwise)."""
    insee, dep, region, epci = commune
    n_dpe, n_dpe_dwelling = dpe
    share, label = heating
    row: dict[str, Any] = {
        "ban_id": ban_id,
        "annee": annee,
        "code_insee": insee,
        "code_iris": iris,
        "code_departement": dep,
        "code_region": region,
        "code_epci": epci,
        "street_code": "_".join(ban_id.split("_")[:2]),
        "nom_voie": nom_voie,
        "numero": numero,
        "lon": point[0] if point else None,
        "lat": point[1] if point else None,
        "n_dwellings": dwellings,
        "metered_kwh_per_dwelling": kwh,
        "n_dpe": n_dpe,
        "n_dpe_dwelling": n_dpe_dwelling,
        "mean_surface_m2": surface,
        "dpe_ef_kwh_m2": ef_ep[0],
        "dpe_ep_kwh_m2": ef_ep[1],
        "metered_kwh_m2": kwh / surface if surface else None,
        "n_inconsistent_label": 0,
        "share_electric_heating": share,
        "is_electric_heating": None if share is None else share >= 0.5,
        "building_label": label,
        "geocode_status": "matched",
        "geocode_method": "ban_file:exact",
        "geocode_score": 1.0,
    }
    for prefix, counts in zip(("n_label", "n_ges", "n_label_recomputed"), labels, strict=True):
        row |= {f"{prefix}_{x}": n for x, n in zip("abcdefg", counts, strict=True)}
    return row


CARNOT, ANTIBES = "Boulevard Carnot", "Rue d'Antibes"
WORLD = [
    building(
        "06029_0870_00010",
        numero="10",
        nom_voie=CARNOT,
        iris="060290104",
        dwellings=24,
        kwh=3150.0,
        dpe=(9, 8),
        surface=60.0,
        ef_ep=(171.25, 224.5),
        labels=([0, 0, 2, 4, 2, 1, 0], [0, 3, 4, 2, 0, 0, 0], [0, 0, 2, 4, 3, 0, 0]),
        heating=(0.75, "D"),
        point=(7.02361, 43.55012),
    ),
    building(
        "06029_0870_00012",
        numero="12",
        nom_voie=CARNOT,
        iris="060290104",
        dwellings=12,
        kwh=2800.0,
        dpe=(2, 2),
        surface=50.0,
        ef_ep=(250.0, 410.0),
        labels=([0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 0, 1, 1]),
        heating=(1.0, "G"),
        point=(7.02372, 43.55021),
    ),
    building(
        "06029_0870_00014_bis",
        numero="14",
        nom_voie=CARNOT,
        iris="060290104",
        dwellings=40,
        kwh=4000.0,
        dpe=(20, 18),
        surface=80.0,
        ef_ep=(150.0, 190.5),
        labels=([0, 2, 6, 7, 3, 2, 0], [1, 3, 6, 5, 3, 2, 0], [0, 2, 5, 8, 3, 2, 0]),
        heating=(0.25, "D"),
        point=(7.02388, 43.55034),
    ),
    building(
        "06029_1200_00001",
        numero="1",
        nom_voie=ANTIBES,
        iris="060290105",
        dwellings=15,
        kwh=2500.0,
        dpe=(6, 6),
        surface=40.0,
        ef_ep=(200.0, 260.0),
        labels=([0, 0, 1, 2, 2, 1, 0], [0, 1, 2, 2, 1, 0, 0], [0, 0, 1, 2, 2, 1, 0]),
        heating=(0.5, "D"),
        point=(7.0155, 43.5519),
    ),
    # No DPE at all, and no BAN point (absent from the map layer).
    building(
        "06029_1200_00003",
        numero="3",
        nom_voie=ANTIBES,
        iris="060290105",
        dwellings=11,
        kwh=2100.0,
        dpe=(0, 0),
    ),
    # Whole-building DPE only: label counts exist, but no dwelling DPE behind them.
    building(
        "06029_2000_00004",
        numero="4",
        nom_voie="Avenue de Grasse",
        iris="060290106",
        dwellings=12,
        kwh=2000.0,
        dpe=(3, 0),
        labels=([0, 0, 0, 3, 0, 0, 0], [0, 0, 3, 0, 0, 0, 0], [0, 0, 0, 3, 0, 0, 0]),
        point=(7.0, 43.5625),
    ),
    # Under 10 dwellings: impossible from Enedis; the guard keeps it out of every answer.
    building(
        "06029_2000_00002",
        numero="2",
        nom_voie="Avenue de Grasse",
        iris="060290106",
        dwellings=8,
        kwh=1900.0,
        dpe=(0, 0),
        point=(7.01, 43.56),
    ),
    # Another year: alone in its street, so published with its 7 DPE.
    building(
        "06029_0870_00012",
        annee=2022,
        numero="12",
        nom_voie=CARNOT,
        iris="060290104",
        dwellings=12,
        kwh=2950.0,
        dpe=(7, 7),
        surface=50.0,
        ef_ep=(240.0, 400.0),
        labels=([0, 0, 0, 1, 2, 3, 1], [0, 0, 1, 2, 2, 2, 0], [0, 0, 0, 1, 2, 3, 1]),
        heating=(1.0, "F"),
        point=(7.02372, 43.55021),
    ),
]
# Nice 2023: a lone building with 3 DPE on its street and in its IRIS; nothing there can hide
# it, so the commune withholds its smallest published building (7 DPE), in another street —
# and that street's other building, lest the street total give the 7 DPE back.
NICE = ("06088", "06", "93", "200030195")
WORLD += [
    building(
        "06088_0100_00001",
        numero="1",
        nom_voie="Rue de France",
        iris="060880101",
        dwellings=14,
        kwh=2600.0,
        dpe=(3, 3),
        commune=NICE,
    ),
    *(
        building(
            f"06088_0200_0000{n}",
            numero=str(n),
            nom_voie="Avenue Jean Médecin",
            iris="060880102",
            dwellings=20,
            kwh=2700.0,
            dpe=(dpe, dpe),
            surface=55.0,
            commune=NICE,
        )
        for n, dpe in ((2, 12), (4, 7))
    ),
]
COMMUNES = [
    ("06029", "Cannes", "06", "93", "200039915", 7.0174, 43.5528),
    ("06030", "Cantaron", "06", "93", "200030195", 7.3089, 43.7614),
    ("06088", "Nice", "06", "93", "200030195", 7.262, 43.7102),
]


@pytest.fixture(scope="module")
def world_settings(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    settings = migrated_database(database_factory, tmp_path_factory.mktemp("bld"), "buildings")
    with connect(settings, DbRole.OWNER) as conn:
        conn.cursor().executemany(
            "INSERT INTO communes (code_insee, nom, code_departement, code_region, code_epci, "
            "lon, lat) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            COMMUNES,
        )
        columns = list(WORLD[0])
        conn.cursor().executemany(
            f"INSERT INTO buildings ({', '.join(columns)}) "
            f"VALUES ({', '.join(f'%({c})s' for c in columns)})",
            WORLD,
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
        "cache_prefix": f"b{secrets.token_hex(5)}",
        "redis_url": redis_url,
    }
    settings = load_settings(**(world_settings.model_dump() | overrides))
    user_id = add_user(settings, f"bld-{secrets.token_hex(5)}@example.org")
    token = issue_token(settings, user_id, Role.READER).access_token
    with open_client(settings) as test_client:
        yield test_client, bearer(token)


def published_14bis(**extra: Any) -> dict[str, Any]:
    return {
        "ban_id": "06029_0870_00014_bis",
        "address": "14 bis Boulevard Carnot",
        "street_code": "06029_0870",
        "code_insee": "06029",
        "code_iris": "060290104",
        "year": 2023,
        "n_dwellings": 40,
        "metered_kwh_per_dwelling": 4000.0,
        "metered_kwh_m2": 50.0,
        "n_dpe": 20,
        "n_dpe_dwelling": 18,
        "mean_surface_m2": 80.0,
        "dpe_ef_kwh_m2": 150.0,
        "dpe_ep_kwh_m2": 190.5,
        "dpe_labels": {"A": 0, "B": 2, "C": 6, "D": 7, "E": 3, "F": 2, "G": 0},
        "ges_labels": {"A": 1, "B": 3, "C": 6, "D": 5, "E": 3, "F": 2, "G": 0},
        "dpe_labels_recomputed": {"A": 0, "B": 2, "C": 5, "D": 8, "E": 3, "F": 2, "G": 0},
        "building_label": "D",
        "share_electric_heating": 0.25,
        "is_electric_heating": False,
        "dpe_suppressed": False,
        "dpe_suppressed_reason": None,
        "geocode_method": "ban_file:exact",
        "geocode_score": 1.0,
    } | extra


def published_antibes_1(**extra: Any) -> dict[str, Any]:
    return {
        "ban_id": "06029_1200_00001",
        "address": "1 Rue d'Antibes",
        "street_code": "06029_1200",
        "code_insee": "06029",
        "code_iris": "060290105",
        "year": 2023,
        "n_dwellings": 15,
        "metered_kwh_per_dwelling": 2500.0,
        "metered_kwh_m2": 62.5,
        "n_dpe": 6,
        "n_dpe_dwelling": 6,
        "mean_surface_m2": 40.0,
        "dpe_ef_kwh_m2": 200.0,
        "dpe_ep_kwh_m2": 260.0,
        "dpe_labels": {"A": 0, "B": 0, "C": 1, "D": 2, "E": 2, "F": 1, "G": 0},
        "ges_labels": {"A": 0, "B": 1, "C": 2, "D": 2, "E": 1, "F": 0, "G": 0},
        "dpe_labels_recomputed": {"A": 0, "B": 0, "C": 1, "D": 2, "E": 2, "F": 1, "G": 0},
        "building_label": "D",
        "share_electric_heating": 0.5,
        "is_electric_heating": True,
        "dpe_suppressed": False,
        "dpe_suppressed_reason": None,
        "geocode_method": "ban_file:exact",
        "geocode_score": 1.0,
    } | extra


NO_LABELS = dict.fromkeys("ABCDEFG")


def suppressed(ban_id: str, address: str, iris: str, reason: str, **counts: Any) -> dict[str, Any]:
    """A building whose DPE figures are withheld: counts and metered figures only."""
    return {
        "ban_id": ban_id,
        "address": address,
        "street_code": "_".join(ban_id.split("_")[:2]),
        "code_insee": "06029",
        "code_iris": iris,
        "year": 2023,
        "metered_kwh_m2": None,
        "mean_surface_m2": None,
        "dpe_ef_kwh_m2": None,
        "dpe_ep_kwh_m2": None,
        "dpe_labels": NO_LABELS,
        "ges_labels": NO_LABELS,
        "dpe_labels_recomputed": NO_LABELS,
        "building_label": None,
        "share_electric_heating": None,
        "is_electric_heating": None,
        "dpe_suppressed": True,
        "dpe_suppressed_reason": reason,
        "geocode_method": "ban_file:exact",
        "geocode_score": 1.0,
    } | counts


CARNOT_10 = suppressed(
    "06029_0870_00010",
    "10 Boulevard Carnot",
    "060290104",
    "complementary",
    n_dwellings=24,
    metered_kwh_per_dwelling=3150.0,
    n_dpe=9,
    n_dpe_dwelling=8,
)
CARNOT_12 = suppressed(
    "06029_0870_00012",
    "12 Boulevard Carnot",
    "060290104",
    "below_min_dpe",
    n_dwellings=12,
    metered_kwh_per_dwelling=2800.0,
    n_dpe=2,
    n_dpe_dwelling=2,
)
GRASSE_4 = suppressed(
    "06029_2000_00004",
    "4 Avenue de Grasse",
    "060290106",
    "below_min_dpe",
    n_dwellings=12,
    metered_kwh_per_dwelling=2000.0,
    n_dpe=3,
    n_dpe_dwelling=0,
)
# No DPE at all: nothing withheld (an empty cell holds no one); the DPE figures are absent.
ANTIBES_3 = suppressed(
    "06029_1200_00003",
    "3 Rue d'Antibes",
    "060290105",
    "below_min_dpe",
    n_dwellings=11,
    metered_kwh_per_dwelling=2100.0,
    n_dpe=0,
    n_dpe_dwelling=0,
) | {
    "dpe_labels": dict.fromkeys("ABCDEFG", 0),
    "ges_labels": dict.fromkeys("ABCDEFG", 0),
    "dpe_labels_recomputed": dict.fromkeys("ABCDEFG", 0),
    "dpe_suppressed": False,
    "dpe_suppressed_reason": None,
}
POINTS = {
    "06029_0870_00010": (7.02361, 43.55012),
    "06029_0870_00012": (7.02372, 43.55021),
    "06029_0870_00014_bis": (7.02388, 43.55034),
    "06029_1200_00001": (7.0155, 43.5519),
    "06029_2000_00004": (7.0, 43.5625),
}


def with_point(item: dict[str, Any]) -> dict[str, Any]:
    lon, lat = POINTS.get(item["ban_id"], (None, None))
    return item | {"lon": lon, "lat": lat}


def page(items: list[dict[str, Any]], next_: str | None, year: int | None = 2023) -> Any:
    return {
        "data_version": VERSION,
        "sources": SOURCES,
        "year": year,
        "items": [with_point(i) for i in items],
        "next": next_,
    }


COMMUNE_PAGE = [
    CARNOT_10,
    CARNOT_12,
    published_14bis(),
    published_antibes_1(),
    ANTIBES_3,
    GRASSE_4,
]


def test_a_commune_lists_its_buildings_with_their_figures_and_suppressions(
    client: Client,
) -> None:
    test_client, auth = client
    response = test_client.get("/v1/buildings?commune=06029", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == page(COMMUNE_PAGE, None)


def test_a_page_built_without_models_is_byte_for_byte_what_its_model_gives(
    client: Client,
) -> None:
    """The page is built as plain JSON values (volt.api.data.Prebuilt): validated into
    BuildingPage and dumped again, it must give the same bytes (fields, order, types)."""
    test_client, auth = client
    for url in ("/v1/buildings?commune=06029", "/v1/buildings?commune=06030"):
        body = test_client.get(url, headers=auth).content
        assert BuildingPage.model_validate_json(body).model_dump_json().encode() == body


def test_a_street_total_minus_its_published_buildings_does_not_reveal_a_hidden_one(
    client: Client,
) -> None:
    """Trap: hiding only the building with 2 DPE, Carnot's label counts (published by the street
    statistics) minus the two published buildings would give its labels exactly. The smallest
    published building of the street is hidden too: the difference then mixes 10 DPE."""
    test_client, auth = client
    items = test_client.get("/v1/buildings?street=06029_0870", headers=auth).json()["items"]
    street_total = [sum(r[f"n_label_{x}"] for r in WORLD[:3]) for x in "abcdefg"]

    def left_over(published: list[list[int]]) -> list[int]:
        return [total - sum(p[i] for p in published) for i, total in enumerate(street_total)]

    carnot_10, carnot_14bis = WORLD[0], WORLD[2]
    naive = left_over([[r[f"n_label_{x}"] for x in "abcdefg"] for r in (carnot_10, carnot_14bis)])
    assert naive == [0, 0, 0, 0, 0, 1, 1]  # exactly the labels of the building with 2 DPE
    ours = left_over([list(i["dpe_labels"].values()) for i in items if not i["dpe_suppressed"]])
    assert ours == [0, 0, 2, 4, 2, 2, 1]  # its 2 DPE mixed with the 9 of another building
    assert [(i["ban_id"], i["dpe_suppressed_reason"]) for i in items] == [
        ("06029_0870_00010", "complementary"),
        ("06029_0870_00012", "below_min_dpe"),
        ("06029_0870_00014_bis", None),
    ]


def test_a_commune_total_minus_its_published_buildings_does_not_reveal_a_lone_hidden_one(
    client: Client,
) -> None:
    """Trap: the 3 DPE of Rue de France are alone in their street and their IRIS; the commune's
    total minus its published buildings would show them. Its smallest published building (7
    DPE, Avenue Jean Médecin) is withheld too — and then the other building of that avenue as
    well, else the avenue's total minus it would give the 7 DPE back, and the commune's total
    the 3 (a chain of two subtractions)."""
    test_client, auth = client
    items = test_client.get("/v1/buildings?commune=06088", headers=auth).json()["items"]
    assert [(i["ban_id"], i["n_dpe"], i["dpe_suppressed_reason"]) for i in items] == [
        ("06088_0100_00001", 3, "below_min_dpe"),
        ("06088_0200_00002", 12, "complementary"),
        ("06088_0200_00004", 7, "complementary"),
    ]


def test_a_street_gets_the_same_suppression_as_its_commune(client: Client) -> None:
    test_client, auth = client
    response = test_client.get("/v1/buildings?street=06029_0870", headers=auth)
    assert response.json() == page([CARNOT_10, CARNOT_12, published_14bis()], None)


def test_another_year_is_served_when_asked(client: Client) -> None:
    test_client, auth = client
    response = test_client.get("/v1/buildings?commune=06029&year=2022", headers=auth)
    assert response.json() == page(
        [
            {
                "ban_id": "06029_0870_00012",
                "address": "12 Boulevard Carnot",
                "street_code": "06029_0870",
                "code_insee": "06029",
                "code_iris": "060290104",
                "year": 2022,
                "n_dwellings": 12,
                "metered_kwh_per_dwelling": 2950.0,
                "metered_kwh_m2": 59.0,
                "n_dpe": 7,
                "n_dpe_dwelling": 7,
                "mean_surface_m2": 50.0,
                "dpe_ef_kwh_m2": 240.0,
                "dpe_ep_kwh_m2": 400.0,
                "dpe_labels": {"A": 0, "B": 0, "C": 0, "D": 1, "E": 2, "F": 3, "G": 1},
                "ges_labels": {"A": 0, "B": 0, "C": 1, "D": 2, "E": 2, "F": 2, "G": 0},
                "dpe_labels_recomputed": {"A": 0, "B": 0, "C": 0, "D": 1, "E": 2, "F": 3, "G": 1},
                "building_label": "F",
                "share_electric_heating": 1.0,
                "is_electric_heating": True,
                "dpe_suppressed": False,
                "dpe_suppressed_reason": None,
                "geocode_method": "ban_file:exact",
                "geocode_score": 1.0,
            }
        ],
        None,
        year=2022,
    )


def test_empty_answers(client: Client) -> None:
    test_client, auth = client
    no_buildings = test_client.get("/v1/buildings?commune=06030", headers=auth)
    assert no_buildings.json() == page([], None, year=None)
    no_year = test_client.get("/v1/buildings?commune=06029&year=2019", headers=auth)
    assert no_year.json() == page([], None, year=2019)


def test_pages_follow_the_ban_id_order(client: Client) -> None:
    test_client, auth = client
    url = "/v1/buildings?commune=06029&limit=2"
    first = test_client.get(url, headers=auth).json()
    assert first == page(COMMUNE_PAGE[:2], "06029_0870_00012")
    second = test_client.get(f"{url}&after={first['next']}", headers=auth).json()
    assert second == page(COMMUNE_PAGE[2:4], "06029_1200_00001")
    third = test_client.get(f"{url}&after={second['next']}", headers=auth).json()
    assert third == page(COMMUNE_PAGE[4:], None)


def test_csv_export_of_a_page(client: Client) -> None:
    test_client, auth = client
    response = test_client.get("/v1/buildings?street=06029_1200&format=csv", headers=auth)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="buildings-06029_1200-bld012345678.csv"'
    )
    labels = ",".join(f"{kind}.{x}" for kind in ("dpe_labels", "ges_labels") for x in "ABCDEFG")
    recomputed = ",".join(f"dpe_labels_recomputed.{x}" for x in "ABCDEFG")
    assert response.text.splitlines() == [
        "ban_id,address,street_code,code_insee,code_iris,year,n_dwellings,"
        "metered_kwh_per_dwelling,metered_kwh_m2,n_dpe,n_dpe_dwelling,mean_surface_m2,"
        f"dpe_ef_kwh_m2,dpe_ep_kwh_m2,{labels},{recomputed},building_label,"
        "share_electric_heating,is_electric_heating,dpe_suppressed,dpe_suppressed_reason,"
        "geocode_method,geocode_score,lon,lat",
        "06029_1200_00001,1 Rue d'Antibes,06029_1200,06029,060290105,2023,15,2500.0,62.5,6,6,"
        "40.0,200.0,260.0,0,0,1,2,2,1,0,0,1,2,2,1,0,0,0,0,1,2,2,1,0,D,0.5,True,False,,"
        "ban_file:exact,1.0,7.0155,43.5519",
        # No DPE: zero counts, no values, nothing withheld.
        "06029_1200_00003,3 Rue d'Antibes,06029_1200,06029,060290105,2023,11,2100.0,,0,0,,,,"
        + "0," * 21
        + ",,,False,,ban_file:exact,1.0,,",
    ]
    withheld_csv = test_client.get(
        "/v1/buildings?street=06029_0870&limit=1&format=csv", headers=auth
    ).text.splitlines()
    # Withheld: the same columns, empty.
    assert withheld_csv[1] == (
        "06029_0870_00010,10 Boulevard Carnot,06029_0870,06029,060290104,2023,24,3150.0,,9,8,,,,"
        + "," * 21
        + ",,,True,complementary,ban_file:exact,1.0,7.02361,43.55012"
    )


def test_parquet_export_keeps_codes_as_text(client: Client) -> None:
    test_client, auth = client
    response = test_client.get("/v1/buildings?commune=06029&format=parquet", headers=auth)
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column("code_insee").to_pylist() == ["06029"] * 6
    assert table.column("dpe_ef_kwh_m2").to_pylist() == [None, None, 150.0, 200.0, None, None]
    assert table.column("dpe_labels.D").to_pylist() == [None, None, 7, 2, 0, None]


def test_if_none_match_is_a_304_and_answers_are_cached(client: Client) -> None:
    test_client, auth = client
    first = test_client.get("/v1/buildings?commune=06029", headers=auth)
    assert first.headers["cache-control"] == "private, max-age=300"
    again = test_client.get(
        "/v1/buildings?commune=06029", headers=auth | {"If-None-Match": first.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")
    cached = test_client.get("/v1/buildings?commune=06029", headers=auth)
    assert (cached.content, cached.headers["etag"]) == (first.content, first.headers["etag"])


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("commune=06029&street=06029_0870", "Give exactly one of `commune` and `street`."),
        ("", "Give exactly one of `commune` and `street`."),
        ("commune=6029", "The request does not match the API's schema."),
        ("street=06029", "The request does not match the API's schema."),
        ("commune=06029&limit=501", "The request does not match the API's schema."),
        ("commune=06029&year=1999", "The request does not match the API's schema."),
        ("commune=06029&after=x'--", "The request does not match the API's schema."),
    ],
)
def test_invalid_input_is_a_422_problem(client: Client, query: str, detail: str) -> None:
    test_client, auth = client
    response = test_client.get(f"/v1/buildings?{query}", headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail


@pytest.mark.parametrize(
    ("query", "detail"),
    [("commune=06099", "No commune 06099 in the data."), ("street=06029_9999", None)],
)
def test_an_unknown_place_is_a_404_problem(client: Client, query: str, detail: str | None) -> None:
    test_client, auth = client
    response = test_client.get(f"/v1/buildings?{query}", headers=auth)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://volt.example/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": detail or "No street 06029_9999 in the data.",
        "hint": "Find codes with GET /v1/places/search?q=…",
    }


@pytest.mark.parametrize(
    "path", ["/v1/buildings?commune=06029", "/v1/map/buildings.geojson?commune=06029"]
)
def test_no_token_is_a_401(client: Client, path: str) -> None:
    test_client, _ = client
    response = test_client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="volt"'


def feature(item: dict[str, Any]) -> dict[str, Any]:
    lon, lat = POINTS[item["ban_id"]]
    return {
        "type": "Feature",
        "id": item["ban_id"],
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": item,
    }


def collection(items: list[dict[str, Any]], next_: str | None) -> dict[str, Any]:
    return {
        "data_version": VERSION,
        "sources": SOURCES,
        "type": "FeatureCollection",
        "year": 2023,
        "features": [feature(i) for i in items],
        "next": next_,
    }


def test_the_map_layer_is_geojson_points_with_the_same_figures(client: Client) -> None:
    test_client, auth = client
    response = test_client.get("/v1/map/buildings.geojson?commune=06029", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert "link" not in response.headers
    # The building without a BAN point has no place on a map; the others as in the list.
    assert response.json() == collection(
        [CARNOT_10, CARNOT_12, published_14bis(), published_antibes_1(), GRASSE_4], None
    )


def test_map_pages_carry_next_and_a_link_header_even_when_cached(client: Client) -> None:
    test_client, auth = client
    url = "/v1/map/buildings.geojson?commune=06029&limit=3"
    for _ in range(2):  # computed, then from the response cache
        first = test_client.get(url, headers=auth)
        assert first.json() == collection(
            [CARNOT_10, CARNOT_12, published_14bis()], "06029_0870_00014_bis"
        )
        assert first.headers["content-type"] == "application/geo+json"
        assert first.headers["link"] == (
            "</v1/map/buildings.geojson?commune=06029&limit=3&after=06029_0870_00014_bis>; "
            'rel="next"'
        )
    second = test_client.get(f"{url}&after=06029_0870_00014_bis", headers=auth)
    assert second.json() == collection([published_antibes_1(), GRASSE_4], None)
    assert "link" not in second.headers
    etag = second.headers["etag"]
    again = test_client.get(
        f"{url}&after=06029_0870_00014_bis", headers=auth | {"If-None-Match": etag}
    )
    assert (again.status_code, again.content) == (304, b"")


def test_the_map_layer_refuses_bad_input(client: Client) -> None:
    test_client, auth = client
    assert test_client.get("/v1/map/buildings.geojson", headers=auth).status_code == 422
    too_many = test_client.get("/v1/map/buildings.geojson?commune=06029&limit=2001", headers=auth)
    assert too_many.status_code == 422
    unknown = test_client.get("/v1/map/buildings.geojson?commune=06099", headers=auth)
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "No commune 06099 in the data.")


def test_the_answers_hold_exactly_the_documented_fields(client: Client) -> None:
    """No DPE number, apartment complement or DPE address can slip in: the answers carry the
    documented fields only (the demo test scans real generated data for DPE numbers)."""
    test_client, auth = client
    item = test_client.get("/v1/buildings?commune=06029", headers=auth).json()["items"][0]
    assert sorted(item) == sorted([*published_14bis(), "lon", "lat"])
    geojson = test_client.get("/v1/map/buildings.geojson?commune=06029", headers=auth).json()
    assert sorted(geojson["features"][0]["properties"]) == sorted(published_14bis())


def cell(ban_id: str, dpe: tuple[int, int], dwellings: int = 20) -> SuppressionCell:
    street = "_".join(ban_id.split("_")[:2])
    return SuppressionCell(ban_id, "200039915", "06", "93", street, "060290104", dwellings, *dpe)


def test_whole_building_dpe_are_withheld_by_their_own_count() -> None:
    """8 whole-building DPE and no dwelling DPE: label counts from 8 DPE may be published (the
    per-m² figures do not exist); 3 of them may not."""
    rules = Thresholds(min_dwellings=10, min_dpe=5)
    assert withheld([cell("06029_3000_00001", (8, 0))], rules) == {}
    assert withheld([cell("06029_3000_00001", (3, 0))], rules) == {
        "06029_3000_00001": Reason.BELOW_MIN_DPE
    }


def test_the_decisions_of_a_commune_do_not_depend_on_the_page() -> None:
    """Same cells, any order: same decisions (they are memoised per commune)."""
    rules = Thresholds(min_dwellings=10, min_dpe=5)
    cells = [cell(f"06029_3000_0000{n}", dpe) for n, dpe in enumerate([(2, 2), (9, 9), (6, 6)])]
    expected = {"06029_3000_00000": Reason.BELOW_MIN_DPE, "06029_3000_00002": Reason.COMPLEMENTARY}
    assert withheld(cells, rules) == expected
    assert withheld(cells[::-1], rules) == expected
