"""The statistics routes on a hand-built world: exact JSON, suppression, exports, 304, errors.

The world (Enedis year 2023, on a database of this module's own): France ⊃ région 93 ⊃
département 06 ⊃ EPCI 200039915 ⊃ three communes — Aiglun with 8 dwellings and 3 DPE (too few
for anything), Amirat (30 dwellings, 12 DPE), Andon (200 dwellings, 60 DPE). Aiglun's figures are
suppressed, and Amirat's with them, or the département minus Andon would give Aiglun's away;
Amirat's one street is then hidden too, or it would give Amirat away. Andon has two streets.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    CLIENT_IP,
    GENEROUS_LIMITS,
    bearer,
    insert_row,
    migrated_database,
    publish_load,
)
from volt.api.tokens import issue_token
from volt.app import create_app
from volt.auth import users
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role
from volt.etl.gold_schema import AREAS, DPE_VS_METERED
from volt.stats.comparison import CAVEATS
from volt.stats.hierarchy import SOLVED

BOTH_CACHE_BACKENDS = True  # the caching test runs on memory and on a real Redis

VERSION = "stats-v1"
SOURCES = {"dpe": "2026-11-02", "enedis": "2026-06-30"}
MANIFEST = {
    "entries": [
        {"source": "dpe", "vintage": "2026-11-02"},
        {"source": "enedis", "vintage": "2026-06-30"},
    ]
}
EPCI = "200039915"
COUNT_NAMES = (
    "n_buildings",
    "n_dwellings",
    "n_dpe",
    "n_dpe_dwelling",
    "elec_n_buildings",
    "elec_n_dwellings",
    "elec_n_dpe",
)
TOP = (12, 238, 75, 70, 5, 102, 29)  # every level above the communes holds the same buildings
TOP_LABELS = (6, 9, 21, 27, 10, 1, 1)  # A…G: the communes' sums
TOP_FIGURES = {
    "dpe_ef_kwh_m2_median": 150.0,
    "dpe_ef_kwh_m2_mean": 155.5,
    "dpe_ep_kwh_m2_median": 230.0,
    "metered_kwh_per_dwelling_mean": 3480.0,
    "metered_kwh_m2_median": 50.0,
}
# code, name, counts, labels A…G (DPE, GES and recomputed alike), figures
COMMUNES: list[tuple[str, str, tuple[int, ...], tuple[int, ...], dict[str, float]]] = [
    (
        "06001",
        "Aiglun",
        (1, 8, 3, 3, 0, 0, 0),
        (0, 0, 1, 2, 0, 0, 0),
        {
            "dpe_ef_kwh_m2_mean": 260.0,
            "dpe_ef_kwh_m2_median": 251.0,
            "dpe_ep_kwh_m2_median": 380.0,
            "metered_kwh_per_dwelling_mean": 3875.0,
            "metered_kwh_m2_median": 61.5,
        },
    ),
    (
        "06002",
        "Amirat",
        (2, 30, 12, 11, 1, 12, 4),
        (0, 2, 5, 5, 0, 0, 0),
        {
            "dpe_ef_kwh_m2_mean": 190.04,
            "dpe_ef_kwh_m2_median": 180.26,
            "dpe_ep_kwh_m2_median": 290.0,
            "metered_kwh_per_dwelling_mean": 3466.6666666666665,
            "metered_kwh_m2_median": 55.04,
            "elec_dpe_ef_kwh_m2_mean": 150.0,
        },
    ),
    (
        "06003",
        "Andon",
        (9, 200, 60, 56, 4, 90, 25),
        (6, 7, 15, 20, 10, 1, 1),
        {
            "dpe_ef_kwh_m2_mean": 151.38888888888889,
            "dpe_ef_kwh_m2_median": 140.0,
            "dpe_ep_kwh_m2_median": 215.5,
            "metered_kwh_per_dwelling_mean": 3450.0,
            "metered_kwh_m2_median": 48.21,
            "elec_dpe_ef_kwh_m2_mean": 130.5,
        },
    ),
]
# Streets: Amirat's one street holds all of Amirat; Andon's two share its buildings.
STREETS = [
    (
        "06002_0100",
        "Route de Nice",
        (2, 30, 12, 11, 1, 12, 4),
        {"metered_kwh_per_dwelling_mean": 3466.7},
    ),
    (
        "06003_0010",
        "Rue Centrale",
        (7, 170, 56, 52, 4, 90, 25),
        {"metered_kwh_per_dwelling_mean": 3400.0, "dpe_ef_kwh_m2_mean": 150.0},
    ),
    (
        "06003_0020",
        "Chemin du Lac",
        (2, 30, 4, 4, 0, 0, 0),
        {"metered_kwh_per_dwelling_mean": 3733.33, "dpe_ef_kwh_m2_mean": 166.0},
    ),
]
# dpe_vs_metered of Andon: C and D paired, E only non-electric buildings.
COMPARISON = [
    {
        "etiquette_dpe": "C",
        "n_buildings_electric": 8,
        "n_buildings_other": 1,
        "n_dwellings_electric": 110,
        "dpe_ef_kwh_m2_q1": 110.04,
        "dpe_ef_kwh_m2_median": 125.56,
        "dpe_ef_kwh_m2_q3": 140.27,
        "metered_kwh_m2_q1": 60.01,
        "metered_kwh_m2_median": 70.06,
        "metered_kwh_m2_q3": 85.52,
        "ratio_q1": 0.51234,
        "ratio_median": 0.56171,
        "ratio_q3": 0.62409,
        "trend_kendall_tau": -0.41234,
        "trend_p_value": 0.034567,
    },
    {
        "etiquette_dpe": "D",
        "n_buildings_electric": 3,
        "n_buildings_other": 2,
        "n_dwellings_electric": 40,
        "dpe_ef_kwh_m2_q1": 150.0,
        "dpe_ef_kwh_m2_median": 160.0,
        "dpe_ef_kwh_m2_q3": 170.0,
        "metered_kwh_m2_q1": 55.0,
        "metered_kwh_m2_median": 60.0,
        "metered_kwh_m2_q3": 65.0,
        "ratio_q1": 0.35,
        "ratio_median": 0.37,
        "ratio_q3": 0.4,
        "trend_kendall_tau": -0.41234,
        "trend_p_value": 0.034567,
    },
    {
        "etiquette_dpe": "E",
        "n_buildings_electric": 0,
        "n_buildings_other": 2,
        "n_dwellings_electric": None,
        "trend_kendall_tau": -0.41234,
        "trend_p_value": 0.034567,
    },
]


def _area(
    level: str,
    code: str,
    name: str | None,
    parent: tuple[str, str] | None,
    departement: str | None,
    counts: tuple[int, ...],
    labels: tuple[int, ...],
    figures: dict[str, float],
    year: int = 2023,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "level": level,
        "code": code,
        "annee": year,
        "name": name,
        "parent_level": parent[0] if parent else None,
        "parent_code": parent[1] if parent else None,
        "code_departement": departement,
        "n_inconsistent_label": 1,
    }
    row |= dict(zip(COUNT_NAMES, counts, strict=True))
    for prefix in ("n_label", "n_ges", "n_label_recomputed"):
        row |= {f"{prefix}_{x}": n for x, n in zip("abcdefg", labels, strict=True)}
    return row | figures


def world_rows() -> list[dict[str, Any]]:
    rows = [
        _area("france", "FR", "France", None, None, TOP, TOP_LABELS, TOP_FIGURES),
        _area("france", "FR", "France", None, None, TOP, TOP_LABELS, TOP_FIGURES, year=2022),
        _area("region", "93", None, ("france", "FR"), None, TOP, TOP_LABELS, TOP_FIGURES),
        _area("departement", "06", None, ("region", "93"), "06", TOP, TOP_LABELS, TOP_FIGURES),
        _area("epci", EPCI, None, ("departement", "06"), "06", TOP, TOP_LABELS, TOP_FIGURES),
    ]
    for code, name, counts, labels, figures in COMMUNES:
        rows.append(_area("commune", code, name, ("epci", EPCI), "06", counts, labels, figures))
    for code, name, counts, figures in STREETS:
        commune = ("commune", code[:5])
        rows.append(_area("street", code, name, commune, "06", counts, (0,) * 7, figures))
    return rows


def publish(settings: Settings, version: str) -> None:
    publish_load(settings, version, MANIFEST)


@pytest.fixture(scope="module")
def world(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, str]:
    """The world's settings and a reader's token."""
    base = migrated_database(database_factory, tmp_path_factory.mktemp("stats"), "stats")
    settings = load_settings(**(base.model_dump() | {"rate_limits": GENEROUS_LIMITS}))
    assert set(world_rows()[0]) <= set(AREAS.column_names)
    with connect(settings, DbRole.OWNER) as conn:
        for row in world_rows():
            insert_row(conn, "areas", row)
        for comparison in COMPARISON:
            row = {"level": "commune", "code": "06003", "annee": 2023} | comparison
            assert set(row) <= set(DPE_VS_METERED.column_names)
            insert_row(conn, "dpe_vs_metered", row)
    publish(settings, VERSION)
    with connect(settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, settings, "stats-reader@example.org")
    return settings, issue_token(settings, user.id, Role.READER).access_token


@pytest.fixture
def client(world: tuple[Settings, str]) -> Iterator[TestClient]:
    with TestClient(create_app(world[0]), client=(CLIENT_IP, 50000)) as test_client:
        yield test_client


@pytest.fixture
def auth(world: tuple[Settings, str]) -> dict[str, str]:
    return bearer(world[1])


def cell(value: float | None, reason: str | None = None) -> dict[str, Any]:
    return {"value": value, "suppressed": reason is not None, "reason": reason}


def commune(code: str, name: str, counts: tuple[int, ...], **metrics: Any) -> dict[str, Any]:
    return {
        "level": "commune",
        "code": code,
        "name": name,
        "year": 2023,
        "parent_level": "epci",
        "parent_code": EPCI,
        "code_departement": "06",
        "counts": dict(zip(COUNT_NAMES, counts, strict=True)),
        "cut": None,
        "metrics": metrics,
    }


AIGLUN, AMIRAT, ANDON = ((c[0], c[1], c[2]) for c in COMMUNES)
LIST_METRICS = "metered_kwh_per_dwelling_mean,dpe_ef_kwh_m2_median,dpe_ef_kwh_m2_mean"
OF_06 = f"/v1/stats/commune?parent=06&parent_level=departement&metrics={LIST_METRICS}"


def page(items: list[dict[str, Any]], metrics: list[str], **extra: Any) -> dict[str, Any]:
    body = {"data_version": VERSION, "sources": SOURCES, "level": "commune", "year": 2023}
    return body | {"filter": None, "metrics": metrics, "items": items, "next": None} | extra


# --- GET /v1/stats/{level} -------------------------------------------------------------------


def test_the_communes_of_a_departement_hide_a_sibling_of_the_small_one(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get(OF_06, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == page(
        [
            commune(
                *AIGLUN,
                metered_kwh_per_dwelling_mean=cell(None, "below_min_dwellings"),
                dpe_ef_kwh_m2_median=cell(None, "below_min_dpe"),
                dpe_ef_kwh_m2_mean=cell(None, "below_min_dpe"),
            ),
            commune(
                # Département minus Andon would be Aiglun: Amirat's means go too (its
                # median does not add up, it stays).
                *AMIRAT,
                metered_kwh_per_dwelling_mean=cell(None, "complementary"),
                dpe_ef_kwh_m2_median=cell(180.3),
                dpe_ef_kwh_m2_mean=cell(None, "complementary"),
            ),
            commune(
                *ANDON,
                metered_kwh_per_dwelling_mean=cell(3450.0),
                dpe_ef_kwh_m2_median=cell(140.0),
                dpe_ef_kwh_m2_mean=cell(151.4),
            ),
        ],
        LIST_METRICS.split(","),
    )


def test_one_area_gets_the_pattern_of_its_family(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get(
        "/v1/stats/commune?code=06002&metrics=metered_kwh_per_dwelling_mean", headers=auth
    )
    assert response.json()["items"] == [
        commune(*AMIRAT, metered_kwh_per_dwelling_mean=cell(None, "complementary"))
    ]


def test_a_parent_hidden_for_a_sibling_is_not_given_away_by_its_children(
    client: TestClient, auth: dict[str, str]
) -> None:
    # Amirat's mean per dwelling is hidden (Aiglun's complement); its one street is all of it.
    metrics = "metered_kwh_per_dwelling_mean,dpe_ef_kwh_m2_mean"
    amirat = client.get(f"/v1/stats/street?parent=06002&metrics={metrics}", headers=auth)
    assert [row["metrics"] for row in amirat.json()["items"]] == [
        {
            "metered_kwh_per_dwelling_mean": cell(None, "complementary"),
            "dpe_ef_kwh_m2_mean": cell(None, "complementary"),
        }
    ]
    # Andon's figures are published: its streets only protect each other.
    andon = client.get(f"/v1/stats/street?parent=06003&metrics={metrics}", headers=auth)
    assert [(row["code"], row["name"], row["metrics"]) for row in andon.json()["items"]] == [
        (
            "06003_0010",
            "Rue Centrale",
            {
                "metered_kwh_per_dwelling_mean": cell(3400.0),
                "dpe_ef_kwh_m2_mean": cell(None, "complementary"),
            },
        ),
        (
            "06003_0020",
            "Chemin du Lac",
            {
                "metered_kwh_per_dwelling_mean": cell(3733.3),
                "dpe_ef_kwh_m2_mean": cell(None, "below_min_dpe"),
            },
        ),
    ]


def test_an_area_without_data_is_null_not_suppressed(
    client: TestClient, auth: dict[str, str]
) -> None:
    # Electric DPE: Aiglun has none (no data), Amirat 4 (too few), Andon 25 (its complement).
    response = client.get(
        f"/v1/stats/commune?parent={EPCI}&metrics=elec_dpe_ef_kwh_m2_mean", headers=auth
    )
    assert [row["metrics"]["elec_dpe_ef_kwh_m2_mean"] for row in response.json()["items"]] == [
        cell(None),
        cell(None, "below_min_dpe"),
        cell(None, "complementary"),
    ]


def test_default_metrics_of_one_area(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/stats/departement?code=06", headers=auth)
    assert response.json() == {
        "data_version": VERSION,
        "sources": SOURCES,
        "level": "departement",
        "year": 2023,
        "filter": None,
        "metrics": [
            "dpe_ep_kwh_m2_median",
            "dpe_ef_kwh_m2_median",
            "metered_kwh_per_dwelling_mean",
            "metered_kwh_m2_median",
        ],
        "items": [
            {
                "level": "departement",
                "code": "06",
                "name": None,
                "year": 2023,
                "parent_level": "region",
                "parent_code": "93",
                "code_departement": "06",
                "counts": dict(zip(COUNT_NAMES, TOP, strict=True)),
                "cut": None,
                "metrics": {
                    "dpe_ep_kwh_m2_median": cell(230.0),
                    "dpe_ef_kwh_m2_median": cell(150.0),
                    "metered_kwh_per_dwelling_mean": cell(3480.0),
                    "metered_kwh_m2_median": cell(50.0),
                },
            }
        ],
        "next": None,
    }


def test_pages_follow_the_code_order(client: TestClient, auth: dict[str, str]) -> None:
    first = client.get(f"{OF_06}&limit=2", headers=auth).json()
    assert ([row["code"] for row in first["items"]], first["next"]) == (["06001", "06002"], "06002")
    second = client.get(f"{OF_06}&limit=2&after=06002", headers=auth).json()
    assert ([row["code"] for row in second["items"]], second["next"]) == (["06003"], None)
    # The second page keeps the pattern decided over the whole family.
    assert second["items"][0]["metrics"]["dpe_ef_kwh_m2_mean"] == cell(151.4)
    assert first["items"][1]["metrics"]["dpe_ef_kwh_m2_mean"] == cell(None, "complementary")


def test_empty_lists(client: TestClient, auth: dict[str, str]) -> None:
    no_year = client.get(f"{OF_06}&year=2022", headers=auth)
    assert no_year.json() == page([], LIST_METRICS.split(","), year=2022)
    no_iris = client.get("/v1/stats/iris?parent=06003&metrics=n_dwellings", headers=auth)
    assert no_iris.json() == page([], ["n_dwellings"], level="iris")


def test_the_list_exports_as_csv(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get(
        "/v1/stats/commune?parent=06&parent_level=departement"
        "&metrics=n_dwellings,metered_kwh_per_dwelling_mean&format=csv",
        headers=auth,
    )
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="stats-commune-06-stats-v1.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "level",
        "code",
        "name",
        "year",
        "parent_level",
        "parent_code",
        "code_departement",
        *(f"counts.{name}" for name in COUNT_NAMES),
        "cut",
        "metrics.n_dwellings.value",
        "metrics.n_dwellings.suppressed",
        "metrics.n_dwellings.reason",
        "metrics.metered_kwh_per_dwelling_mean.value",
        "metrics.metered_kwh_per_dwelling_mean.suppressed",
        "metrics.metered_kwh_per_dwelling_mean.reason",
    ]
    assert response.text.splitlines()[1:] == [
        f"commune,06001,Aiglun,2023,epci,{EPCI},06,1,8,3,3,0,0,0,,8,False,,,True,below_min_dwellings",
        f"commune,06002,Amirat,2023,epci,{EPCI},06,2,30,12,11,1,12,4,,30,False,,,True,complementary",
        f"commune,06003,Andon,2023,epci,{EPCI},06,9,200,60,56,4,90,25,,200,False,,3450.0,False,",
    ]


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("metrics=dpe_ef_kwh_m2_median,dpe_number", "Unknown metric: dpe_number."),
        ("metrics=n_dpe,%20n_dwellings,", "Unknown metrics:  n_dwellings, ."),
    ],
)
def test_unknown_metrics_are_422_problems_naming_them(
    client: TestClient, auth: dict[str, str], query: str, detail: str
) -> None:
    response = client.get(f"/v1/stats/commune?{query}", headers=auth)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://volt.example/problems/invalid-request",
        "title": "Invalid request",
        "status": 422,
        "detail": detail,
        "hint": "GET /v1/metrics lists the metric slugs.",
    }


def test_filters_combine_and_a_parent_of_another_level_selects_nothing(
    client: TestClient, auth: dict[str, str]
) -> None:
    def codes(query: str) -> list[str]:
        response = client.get(f"/v1/stats/commune?metrics=n_dpe&{query}", headers=auth)
        assert response.status_code == 200, response.text
        return [row["code"] for row in response.json()["items"]]

    assert codes(f"code=06002&parent={EPCI}") == ["06002"]
    # A commune's default parent is its EPCI: there is no EPCI 06.
    wrong = client.get("/v1/stats/commune?code=06002&parent=06", headers=auth)
    assert (wrong.status_code, wrong.json()["detail"]) == (404, "No epci 06.")
    assert codes("code=06002&parent=06&parent_level=departement") == ["06002"]
    assert codes("parent=93&parent_level=region") == []  # the région exists: an empty list
    assert codes("parent_level=region") == ["06001", "06002", "06003"]  # without parent: unused


def test_an_unknown_level_or_a_bad_code_is_a_422(client: TestClient, auth: dict[str, str]) -> None:
    level = client.get("/v1/stats/village", headers=auth)
    assert (level.status_code, level.json()["errors"][0]["loc"]) == (422, ["path", "level"])
    code = client.get("/v1/stats/commune?code=06%27--", headers=auth)
    assert (code.status_code, code.json()["errors"][0]["loc"]) == (422, ["query", "code"])


def test_unknown_areas_are_404_problems(client: TestClient, auth: dict[str, str]) -> None:
    unknown = client.get("/v1/stats/commune?code=99999", headers=auth)
    assert (unknown.status_code, unknown.json()) == (
        404,
        {
            "type": "https://volt.example/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "No commune 99999.",
        },
    )
    parent = client.get("/v1/stats/commune?parent=99&parent_level=departement", headers=auth)
    assert (parent.status_code, parent.json()["detail"]) == (404, "No departement 99.")


def test_every_stats_route_needs_a_token(client: TestClient) -> None:
    for path in (
        "/v1/stats/commune",
        "/v1/stats/commune/06003/labels",
        "/v1/stats/commune/06003/breakdown?dimension=type_batiment",
        "/v1/stats/commune/06003/dpe-vs-metered",
        "/v1/metrics",
    ):
        response = client.get(path)
        assert (response.status_code, response.json()["detail"]) == (
            401,
            "This route needs a bearer token.",
        ), path


# --- caching ---------------------------------------------------------------------------------


def test_a_304_answers_the_etag_and_the_cache_is_keyed_by_the_load(
    world: tuple[Settings, str], auth: dict[str, str], cache_backend: dict[str, Any]
) -> None:
    prefix = {"cache_prefix": f"t{secrets.token_hex(6)}"}  # Redis keys of this test only
    settings = load_settings(**(world[0].model_dump() | cache_backend | prefix))
    path = "/v1/stats/france?year=2022&metrics=n_dwellings"
    with TestClient(create_app(settings), client=(CLIENT_IP, 50000)) as client:
        first = client.get(path, headers=auth)
        etag = first.headers["etag"]
        again = client.get(path, headers=auth | {"If-None-Match": etag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
        with connect(settings, DbRole.OWNER) as conn:
            conn.execute("UPDATE areas SET n_dwellings = 239 WHERE annee = 2022")
        try:
            cached = client.get(path, headers=auth)  # same load: answered from the cache
            assert cached.content == first.content
            publish(settings, "stats-v2")
            client.app.state.volt.memo.clear()  # type: ignore[attr-defined]
            fresh = client.get(path, headers=auth | {"If-None-Match": etag})
            assert fresh.status_code == 200
            assert fresh.json()["items"][0]["counts"]["n_dwellings"] == 239
            assert fresh.json()["data_version"] == "stats-v2"
        finally:
            with connect(settings, DbRole.OWNER) as conn:
                conn.execute("UPDATE areas SET n_dwellings = 238 WHERE annee = 2022")
            publish(settings, VERSION)


# --- GET /v1/stats/{level}/{code}/labels -----------------------------------------------------


def labels(counts: dict[str, tuple[int | None, str | None]], total: int) -> list[dict[str, Any]]:
    """The 21 items (three distributions alike in this world) from label → (count, reason)."""
    items = []
    for distribution in ("dpe", "ges", "dpe_recomputed"):
        for label, (count, reason) in counts.items():
            share = round(count / total, 4) if count is not None else None
            items.append(
                {
                    "distribution": distribution,
                    "label": label,
                    "count": count,
                    "share": share,
                    "suppressed": reason is not None,
                    "reason": reason,
                }
            )
    return items


def test_labels_of_a_commune_hide_what_its_siblings_would_give_away(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get("/v1/stats/commune/06003/labels", headers=auth)
    assert response.status_code == 200, response.text
    # F and G hold 1 DPE; A, B and E go with them: within Andon (F + G = 2 < 5) and across
    # communes (the département's B minus Andon's would be Amirat's 2; its E minus Andon's
    # would be Aiglun's, whose whole distribution is hidden).
    assert response.json() == {
        "data_version": VERSION,
        "sources": SOURCES,
        "level": "commune",
        "code": "06003",
        "name": "Andon",
        "year": 2023,
        "n_dpe": 60,
        "n_labelled": {"dpe": 60, "ges": 60, "dpe_recomputed": 60},
        "items": labels(
            {
                "A": (None, "complementary"),
                "B": (None, "complementary"),
                "C": (15, None),
                "D": (20, None),
                "E": (None, "complementary"),
                "F": (None, "below_min_dpe"),
                "G": (None, "below_min_dpe"),
            },
            60,
        ),
    }


def test_a_distribution_of_fewer_than_k_dpe_is_hidden_whole(
    client: TestClient, auth: dict[str, str]
) -> None:
    # Empty labels too: else "0 0 ? ? 0 0 0" would say Aiglun's 3 DPE are C or D.
    body = client.get("/v1/stats/commune/06001/labels?year=2023", headers=auth).json()
    hidden = (None, "below_min_dpe")
    assert body["items"] == labels(dict.fromkeys("ABCDEFG", hidden), 3)
    assert (body["n_dpe"], body["n_labelled"]) == (3, {"dpe": 3, "ges": 3, "dpe_recomputed": 3})


def test_empty_labels_are_published(client: TestClient, auth: dict[str, str]) -> None:
    body = client.get("/v1/stats/commune/06002/labels", headers=auth).json()
    assert (
        body["items"][:7]
        == labels(
            {
                "A": (0, None),
                "B": (None, "below_min_dpe"),
                "C": (None, "complementary"),
                "D": (None, "complementary"),
                "E": (0, None),
                "F": (0, None),
                "G": (0, None),
            },
            12,
        )[:7]
    )


def test_labels_of_an_unknown_area_or_year_are_404(
    client: TestClient, auth: dict[str, str]
) -> None:
    year = client.get("/v1/stats/commune/06003/labels?year=2019", headers=auth)
    assert (year.status_code, year.json()["detail"]) == (404, "No commune 06003 in 2019.")
    code = client.get("/v1/stats/epci/123456789/labels", headers=auth)
    assert (code.status_code, code.json()["detail"]) == (404, "No epci 123456789.")


# --- GET /v1/stats/{level}/{code}/dpe-vs-metered ---------------------------------------------


def comparison_row(label: str, n: int, other: int, dwellings: int, **figures: Any) -> dict:
    names = [
        f"{what}_{stat}"
        for what in ("dpe_ef_kwh_m2", "metered_kwh_m2", "ratio")
        for stat in ("q1", "median", "q3")
    ]
    values = dict.fromkeys([*names, "wilcoxon_statistic", "wilcoxon_p_value"]) | figures
    reason = values.pop("reason", None)
    return {
        "etiquette_dpe": label,
        "n_buildings_electric": n,
        "n_buildings_other": other,
        "n_dwellings_electric": dwellings,
        "suppressed": reason is not None,
        "reason": reason,
        **values,
    }


def test_dpe_vs_metered_of_a_commune(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/stats/commune/06003/dpe-vs-metered", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data_version": VERSION,
        "sources": SOURCES,
        "level": "commune",
        "code": "06003",
        "name": "Andon",
        "year": 2023,
        "trend": {
            "n_buildings_electric": 11,
            "kendall_tau": -0.412,
            "p_value": 0.0346,
            "suppressed": False,
            "reason": None,
        },
        "caveats": CAVEATS,
        "items": [
            comparison_row(
                "C",
                8,
                1,
                110,
                dpe_ef_kwh_m2_q1=110.0,
                dpe_ef_kwh_m2_median=125.6,
                dpe_ef_kwh_m2_q3=140.3,
                metered_kwh_m2_q1=60.0,
                metered_kwh_m2_median=70.1,
                metered_kwh_m2_q3=85.5,
                ratio_q1=0.512,
                ratio_median=0.562,
                ratio_q3=0.624,
            ),
            comparison_row("D", 3, 2, 40, reason="below_min_dpe"),  # 3 buildings < 5
            comparison_row("E", 0, 2, 0),  # no pair: nothing to hide, nothing to show
        ],
    }
    assert len(CAVEATS) == 6


def test_dpe_vs_metered_empty_and_not_found(client: TestClient, auth: dict[str, str]) -> None:
    empty = client.get("/v1/stats/commune/06002/dpe-vs-metered", headers=auth).json()
    assert (empty["items"], empty["trend"]) == (
        [],
        {
            "n_buildings_electric": 0,
            "kendall_tau": None,
            "p_value": None,
            "suppressed": False,
            "reason": None,
        },
    )
    street = client.get("/v1/stats/street/06003_0010/dpe-vs-metered", headers=auth)
    assert (street.status_code, street.json()["detail"]) == (
        404,
        "No DPE vs metered comparison for a street: it exists for communes and larger areas.",
    )
    unknown = client.get("/v1/stats/commune/06999/dpe-vs-metered", headers=auth)
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "No commune 06999.")


def test_a_family_is_solved_once_per_load_and_its_decisions_reused(
    client: TestClient, auth: dict[str, str], world: tuple[Settings, str]
) -> None:
    SOLVED.clear()
    url = (
        "/v1/stats/commune?parent=06&parent_level=departement&metrics=metered_kwh_per_dwelling_mean"
    )
    first = client.get(url, headers=auth).json()["items"]
    families = len(SOLVED._decisions)
    assert families > 0  # the communes' family and every parent's, up to France
    # Other URLs (cache misses) over the same families: no family is solved again, and every
    # area shows the pattern it had.
    one = client.get(
        "/v1/stats/commune?code=06002&metrics=metered_kwh_per_dwelling_mean", headers=auth
    ).json()["items"]
    again = client.get(url + "&limit=50", headers=auth).json()["items"]
    assert len(SOLVED._decisions) == families
    assert again == first and one == [a for a in first if a["code"] == "06002"]
    # A new load (here: the same rows published again) has keys of its own.
    publish(world[0], VERSION + "-again")
    try:
        client.app.state.volt.memo.clear()  # type: ignore[attr-defined]
        assert client.get(url, headers=auth).json()["items"] == first
        assert len(SOLVED._decisions) == 2 * families
    finally:
        publish(world[0], VERSION)  # the other tests expect the world's own load
