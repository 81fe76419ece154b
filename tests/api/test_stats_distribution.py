"""`GET /v1/stats/{level}/{code}/distribution` on a hand-built world: exact JSON, suppression,
exports, caching, errors; and the bin-count rule as pure tests of the histogram builder.

The world (Enedis year 2023, on a database of this module's own, k = 5 DPE): France ⊃ région 93
⊃ département 06 ⊃ EPCI 200039915 ⊃ four communes — Aiglun (3 DPE: too few for anything),
Amirat (12 DPE), Andon (60 DPE, labels A…G 6/7/15/20/10/1/1) and Ascros (buildings, no DPE).
The labels route hides Andon's A, B and E (complements of F and G, and of the small communes'
labels), so their distributions go too, though each holds 6 DPE or more. France also has a 2022
row of 5 DPE: enough for k, too few for a box (it would give every value away).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow.parquet as pq
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
from volt.etl.gold_schema import AREA_CUTS, AREAS
from volt.stats.distribution import (
    MIN_BOX_DPE,
    MIN_WHISKER_DPE,
    bin_count,
    build_box,
    build_histogram,
    method_text,
)
from volt.stats.distribution_schemas import BinRead, BoxRead

BOTH_CACHE_BACKENDS = True  # the caching test runs on memory and on a real Redis

VERSION = "distribution-v1"
SOURCES = {"dpe": "2026-11-02", "enedis": "2026-06-30"}
MANIFEST = {
    "entries": [
        {"source": "dpe", "vintage": "2026-11-02"},
        {"source": "enedis", "vintage": "2026-06-30"},
    ]
}
EPCI = "200039915"
K = 5  # the default privacy_min_dpe
UNIT = "kWh/m²/yr"
PERCENTS = range(5, 100, 5)

# code, name, n_dpe, published labels A…G
COMMUNES = [
    ("06001", "Aiglun", 3, (0, 0, 1, 2, 0, 0, 0)),
    ("06002", "Amirat", 12, (0, 2, 5, 5, 0, 0, 0)),
    ("06003", "Andon", 60, (6, 7, 15, 20, 10, 1, 1)),
    ("06005", "Ascros", 0, (0, 0, 0, 0, 0, 0, 0)),
]
TOP = (75, (6, 9, 21, 27, 10, 1, 1))  # every level above the communes: their sums


def ramp(low: float, high: float) -> list[float]:
    """19 increasing vigintiles from low to high."""
    return [round(low + (high - low) * i / 18, 2) for i in range(19)]


# Andon, all its DPE: 58 with a primary energy per m², 57 with a final energy.
ANDON_EP = [95.04, 110.5, 121.26, 130.0, 140.06, 151.0, 160.0, 170.0, 180.0, 190.0,
            200.0, 212.0, 225.0, 240.0, 255.0, 270.0, 290.0, 320.0, 365.0]  # fmt: skip
# Andon's labels C (15 DPE) and D (20, with ties: p50 = … = p75).
LABEL_C_EP = [112.3, 115.0, 118.2, 121.0, 124.47, 128.0, 131.5, 135.0, 138.0, 141.0,
              144.0, 147.5, 151.0, 155.0, 159.0, 163.0, 168.0, 172.0, 176.56]  # fmt: skip
LABEL_D_EP = [182.0, 186.0, 190.0, 193.0, 196.04, 199.0, 202.0, 205.0, 208.0, 215.0,
              215.0, 215.0, 215.0, 215.0, 215.0, 222.0, 230.0, 238.0, 246.1]  # fmt: skip
AMIRAT_EP = ramp(150.0, 330.0)
AMIRAT_EF = [90.0, 96.0, 101.0, 107.0, 112.31, 118.0, 121.0, 127.0, 131.0, 139.94,
             142.0, 150.0, 155.0, 161.0, 166.0, 171.0, 180.0, 188.0, 197.66]  # fmt: skip
# value → (n_dpe, n_ep, ep vigintiles, n_ef, ef vigintiles)
Cut = tuple[int, int, list[float | None], int, list[float | None]]
CUTS: dict[tuple[str, str, int], dict[tuple[str, str], Cut]] = {
    ("commune", "06001", 2023): {
        ("all", "all"): (3, 3, ramp(240.0, 420.0), 3, ramp(160.0, 260.0)),
        ("etiquette_dpe", "C"): (1, 1, [150.0] * 19, 1, [95.0] * 19),
        ("etiquette_dpe", "D"): (2, 2, ramp(190.0, 230.0), 2, ramp(120.0, 140.0)),
    },
    ("commune", "06002", 2023): {
        ("all", "all"): (12, 12, AMIRAT_EP, 9, AMIRAT_EF),
        ("etiquette_dpe", "B"): (2, 2, ramp(80.0, 100.0), 2, ramp(50.0, 60.0)),
        ("etiquette_dpe", "C"): (5, 5, ramp(120.0, 170.0), 4, ramp(80.0, 110.0)),
        ("etiquette_dpe", "D"): (5, 5, ramp(185.0, 245.0), 3, ramp(120.0, 160.0)),
    },
    ("commune", "06003", 2023): {
        ("all", "all"): (60, 58, ANDON_EP, 57, ramp(60.0, 240.0)),
        ("etiquette_dpe", "A"): (6, 6, ramp(40.0, 68.0), 6, ramp(30.0, 50.0)),
        ("etiquette_dpe", "B"): (7, 7, ramp(72.0, 108.0), 7, ramp(50.0, 80.0)),
        ("etiquette_dpe", "C"): (15, 15, LABEL_C_EP, 15, ramp(70.0, 120.0)),
        ("etiquette_dpe", "D"): (20, 20, LABEL_D_EP, 19, ramp(110.0, 170.0)),
        ("etiquette_dpe", "E"): (10, 10, ramp(252.0, 328.0), 10, ramp(160.0, 220.0)),
        ("etiquette_dpe", "F"): (1, 1, [400.0] * 19, 1, [260.0] * 19),
        ("etiquette_dpe", "G"): (1, 0, [None] * 19, 1, [330.0] * 19),
    },
    ("france", "FR", 2023): {
        ("all", "all"): (75, 73, ramp(90.0, 370.0), 72, ramp(55.0, 250.0)),
    },
    ("france", "FR", 2022): {
        ("all", "all"): (5, 5, ramp(100.0, 300.0), 5, ramp(70.0, 200.0)),
    },
}


def _area(
    level: str,
    code: str,
    name: str | None,
    parent: tuple[str, str] | None,
    departement: str | None,
    n_dpe: int,
    labels: tuple[int, ...],
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
        "n_dpe": n_dpe,
    }
    for prefix in ("n_label", "n_ges", "n_label_recomputed"):
        row |= {f"{prefix}_{x}": n for x, n in zip("abcdefg", labels, strict=True)}
    return row


def world_areas() -> list[dict[str, Any]]:
    rows = [
        _area("france", "FR", "France", None, None, *TOP),
        _area("france", "FR", "France", None, None, 5, (0, 0, 2, 3, 0, 0, 0), year=2022),
        _area("region", "93", None, ("france", "FR"), None, *TOP),
        _area("departement", "06", None, ("region", "93"), "06", *TOP),
        _area("epci", EPCI, None, ("departement", "06"), "06", *TOP),
    ]
    for code, name, n_dpe, labels in COMMUNES:
        rows.append(_area("commune", code, name, ("epci", EPCI), "06", n_dpe, labels))
    return rows


def world_cuts() -> list[dict[str, Any]]:
    rows = []
    for (level, code, year), cuts in CUTS.items():
        for (dimension, value), (n_dpe, n_ep, ep, n_ef, ef) in cuts.items():
            row: dict[str, Any] = {
                "level": level,
                "code": code,
                "annee": year,
                "dimension": dimension,
                "value": value,
                "n_dpe": n_dpe,
                "n_ep": n_ep,
                "n_ef": n_ef,
            }
            row |= {f"ep_p{p:02d}": v for p, v in zip(PERCENTS, ep, strict=True)}
            row |= {f"ef_p{p:02d}": v for p, v in zip(PERCENTS, ef, strict=True)}
            rows.append(row)
    return rows


def publish(settings: Settings, version: str) -> None:
    publish_load(settings, version, MANIFEST)


@pytest.fixture(scope="module")
def world(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, str]:
    """The world's settings and a reader's token."""
    base = migrated_database(database_factory, tmp_path_factory.mktemp("dist"), "distribution")
    settings = load_settings(**(base.model_dump() | {"rate_limits": GENEROUS_LIMITS}))
    areas, cuts = world_areas(), world_cuts()
    assert set(areas[0]) <= set(AREAS.column_names)
    assert set(cuts[0]) <= set(AREA_CUTS.column_names)
    with connect(settings, DbRole.OWNER) as conn:
        for row in areas:
            insert_row(conn, "areas", row)
        for row in cuts:
            insert_row(conn, "area_cuts", row)
    publish(settings, VERSION)
    with connect(settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, settings, "distribution-reader@example.org")
    return settings, issue_token(settings, user.id, Role.READER).access_token


def open_client(settings: Settings, **overrides: Any) -> TestClient:
    changed = load_settings(**(settings.model_dump() | overrides)) if overrides else settings
    return TestClient(create_app(changed), client=(CLIENT_IP, 50000))


@pytest.fixture
def client(world: tuple[Settings, str]) -> Iterator[TestClient]:
    with open_client(world[0]) as test_client:
        yield test_client


@pytest.fixture
def auth(world: tuple[Settings, str]) -> dict[str, str]:
    return bearer(world[1])


def url(code: str, query: str, level: str = "commune") -> str:
    return f"/v1/stats/{level}/{code}/distribution?{query}"


def box(low: float, q1: float, median: float, q3: float, high: float) -> dict[str, float]:
    return {"whisker_low": low, "q1": q1, "median": median, "q3": q3, "whisker_high": high}


def bins(edges: list[float], share: float, densities: list[float | None]) -> list[dict]:
    """Bins from the inner edges (open first and last bins) and the closed bins' densities."""
    bounds: list[float | None] = [None, *edges, None]
    dens = [None, *densities, None]
    return [
        {"lower": lo, "upper": up, "share": share, "density": d}
        for lo, up, d in zip(bounds[:-1], bounds[1:], dens, strict=True)
    ]


def group(label: str | None, n: int, figures: dict | None, histogram: list) -> dict[str, Any]:
    if figures is not None and n < MIN_WHISKER_DPE:  # whiskers only from 21 DPE on
        figures = figures | {"whisker_low": None, "whisker_high": None}
    return {
        "label": label,
        "n": n,
        "suppressed": False,
        "reason": None,
        "box": figures,
        "histogram": histogram,
    }


def hidden(label: str | None, reason: str) -> dict[str, Any]:
    return {
        "label": label,
        "n": None,
        "suppressed": True,
        "reason": reason,
        "box": None,
        "histogram": [],
    }


def body(code: str, name: str | None, groups: list, **extra: Any) -> dict[str, Any]:
    return {
        "data_version": VERSION,
        "sources": SOURCES,
        "level": "commune",
        "code": code,
        "name": name,
        "year": 2023,
        "metric": "dpe_ep_kwh_m2",
        "unit": UNIT,
        "by": "none",
        "method": method_text(K),
        "groups": groups,
    } | extra


ANDON_ALL = group(
    None,
    58,
    box(95.0, 140.1, 190.0, 255.0, 365.0),
    # 58 DPE: 10 bins of 5.8 (20 would be 2.9, under k).
    bins(
        [110.5, 130.0, 151.0, 170.0, 190.0, 212.0, 240.0, 270.0, 320.0],
        0.1,
        [0.005128, 0.004762, 0.005263, 0.005, 0.004545, 0.003571, 0.003333, 0.002],
    ),
)


# --- success -----------------------------------------------------------------------------------


def test_the_distribution_of_a_commune(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get(url("06003", "metric=dpe_ep_kwh_m2"), headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == body("06003", "Andon", [ANDON_ALL])


def test_per_label_the_labels_routes_hidden_counts_stay_hidden(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get(url("06003", "metric=dpe_ep_kwh_m2&by=etiquette_dpe"), headers=auth)
    assert response.status_code == 200, response.text
    # A (6 DPE), B (7) and E (10) are each enough for a box, but the labels route hides their
    # counts (complements of F and G, and of Aiglun's and Amirat's labels): `n` would say them.
    assert response.json() == body(
        "06003",
        "Andon",
        [
            hidden("A", "complementary"),
            hidden("B", "complementary"),
            # 15 DPE: two bins of 7.5 (4 would be 3.75, under k).
            group("C", 15, box(112.3, 124.5, 141.0, 159.0, 176.6), bins([141.0], 0.5, [])),
            # 20 DPE: four bins of 5; the median and q3 are equal, so is one bin's edges.
            group(
                "D",
                20,
                box(182.0, 196.0, 215.0, 215.0, 246.1),
                bins([196.0, 215.0, 215.0], 0.25, [0.01316, None]),
            ),
            hidden("E", "complementary"),
            hidden("F", "below_min_dpe"),
            hidden("G", "below_min_dpe"),
        ],
        by="etiquette_dpe",
    )


@pytest.mark.parametrize("code", ["06001", "06002", "06003", "06005"])
def test_a_label_is_hidden_exactly_where_the_labels_route_hides_its_count(
    client: TestClient, auth: dict[str, str], code: str
) -> None:
    labels = client.get(f"/v1/stats/commune/{code}/labels", headers=auth).json()["items"]
    counts = {
        i["label"]: (i["suppressed"], i["reason"]) for i in labels if i["distribution"] == "dpe"
    }
    groups = client.get(url(code, "metric=dpe_ef_kwh_m2&by=etiquette_dpe"), headers=auth).json()
    suppressed = {g["label"]: (g["suppressed"], g["reason"]) for g in groups["groups"]}
    # Every group this world holds is at least MIN_BOX_DPE strong where its label count shows.
    assert suppressed == counts


def test_a_small_group_has_a_box_without_histogram(
    client: TestClient, auth: dict[str, str]
) -> None:
    # 9 DPE with a final energy: a box (9 ≥ 5), no histogram (two bins would be 4.5 < 5).
    ef = client.get(url("06002", "metric=dpe_ef_kwh_m2"), headers=auth)
    assert ef.json() == body(
        "06002",
        "Amirat",
        [group(None, 9, box(90.0, 112.3, 139.9, 166.0, 197.7), [])],
        metric="dpe_ef_kwh_m2",
    )
    # 12 with a primary energy: two bins of 6.
    ep = client.get(url("06002", "metric=dpe_ep_kwh_m2"), headers=auth)
    assert ep.json()["groups"] == [
        group(None, 12, box(150.0, 190.0, 240.0, 290.0, 330.0), bins([240.0], 0.5, []))
    ]


def test_the_bin_count_follows_the_dpe_threshold(world: tuple[Settings, str]) -> None:
    # With k = 3, Amirat's 12 DPE make four bins of 3.
    with open_client(world[0], privacy_min_dpe=3) as client:
        response = client.get(url("06002", "metric=dpe_ep_kwh_m2"), headers=bearer(world[1]))
    assert response.json()["groups"][0]["histogram"] == bins(
        [190.0, 240.0, 290.0], 0.25, [0.005, 0.005]
    )
    assert response.json()["method"] == method_text(3)


def test_the_default_year_is_the_areas_latest(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get(url("FR", "metric=dpe_ep_kwh_m2", level="france"), headers=auth)
    found = response.json()
    assert (found["level"], found["name"], found["year"]) == ("france", "France", 2023)
    assert [(g["n"], len(g["histogram"])) for g in found["groups"]] == [(73, 10)]


# --- empty and suppressed ----------------------------------------------------------------------


def test_an_area_without_dpe_has_empty_groups(client: TestClient, auth: dict[str, str]) -> None:
    whole = client.get(url("06005", "metric=dpe_ep_kwh_m2"), headers=auth)
    assert whole.json() == body("06005", "Ascros", [group(None, 0, None, [])])
    # Seven groups whatever is present, so a chart keeps its shape.
    per_label = client.get(url("06005", "metric=dpe_ep_kwh_m2&by=etiquette_dpe"), headers=auth)
    assert per_label.json()["groups"] == [group(label, 0, None, []) for label in "ABCDEFG"]


def test_absent_labels_are_empty_and_present_ones_hidden(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get(url("06002", "metric=dpe_ep_kwh_m2&by=etiquette_dpe"), headers=auth)
    assert response.json()["groups"] == [
        group("A", 0, None, []),
        hidden("B", "below_min_dpe"),
        hidden("C", "complementary"),
        hidden("D", "complementary"),
        group("E", 0, None, []),
        group("F", 0, None, []),
        group("G", 0, None, []),
    ]


def test_a_group_under_k_is_hidden_and_so_are_its_empty_labels(
    client: TestClient, auth: dict[str, str]
) -> None:
    whole = client.get(url("06001", "metric=dpe_ep_kwh_m2"), headers=auth)
    assert whole.json() == body("06001", "Aiglun", [hidden(None, "below_min_dpe")])
    # Empty labels too: "0 0 ? ? 0 0 0" would say Aiglun's 3 DPE are C or D.
    per_label = client.get(url("06001", "metric=dpe_ep_kwh_m2&by=etiquette_dpe"), headers=auth)
    assert per_label.json()["groups"] == [hidden(label, "below_min_dpe") for label in "ABCDEFG"]


def test_five_dpe_are_enough_for_k_but_not_for_a_box(
    client: TestClient, auth: dict[str, str]
) -> None:
    # quantile_cont over 5 values: p25 is the 2nd, p05 = 0.8·1st + 0.2·2nd, so p05 and p25
    # would give the minimum away (and p75, p95 the maximum).
    assert MIN_BOX_DPE == 6
    response = client.get(url("FR", "metric=dpe_ep_kwh_m2&year=2022", level="france"), headers=auth)
    found = response.json()
    assert (found["year"], found["groups"]) == (2022, [hidden(None, "below_min_dpe")])


# --- invalid input, not found, auth ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("metric=dpe_ep_kwh_m2_median", "metric"),
        ("metric=numero_dpe", "metric"),
        ("by=etiquette_dpe", "metric"),  # metric is required
        ("metric=dpe_ep_kwh_m2&by=type_batiment", "by"),
        ("metric=dpe_ep_kwh_m2&year=1999", "year"),
    ],
)
def test_invalid_query_values_are_422_problems(
    client: TestClient, auth: dict[str, str], query: str, field: str
) -> None:
    response = client.get(url("06003", query), headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["title"], [e["loc"] for e in problem["errors"]]) == (
        "Invalid request",
        [["query", field]],
    )


@pytest.mark.parametrize(("level", "code"), [("street", "06003_0010"), ("iris", "060030000")])
def test_streets_and_iris_are_422_with_a_hint(
    client: TestClient, auth: dict[str, str], level: str, code: str
) -> None:
    response = client.get(url(code, "metric=dpe_ep_kwh_m2", level=level), headers=auth)
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.status_code, response.json()) == (
        422,
        {
            "type": "https://volt.example/problems/invalid-request",
            "title": "Invalid request",
            "status": 422,
            "detail": f"No distribution for a {level}: distributions exist for commune, epci, "
            "departement, region, france.",
            "hint": "Ask for the commune of the street or IRIS: a cut of it holds too few DPE.",
        },
    )


def test_an_unknown_level_or_a_bad_code_is_a_422(client: TestClient, auth: dict[str, str]) -> None:
    level = client.get(url("06003", "metric=dpe_ep_kwh_m2", level="village"), headers=auth)
    assert (level.status_code, level.json()["detail"]) == (
        422,
        "Unknown level: expected one of commune, epci, departement, region, france.",
    )
    code = client.get(url("06%27--", "metric=dpe_ep_kwh_m2"), headers=auth)
    assert (code.status_code, code.json()["errors"][0]["loc"]) == (422, ["path", "code"])


def test_unknown_areas_and_years_are_404(client: TestClient, auth: dict[str, str]) -> None:
    unknown = client.get(url("06999", "metric=dpe_ep_kwh_m2"), headers=auth)
    assert (unknown.status_code, unknown.json()) == (
        404,
        {
            "type": "https://volt.example/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "No commune 06999.",
        },
    )
    year = client.get(url("06003", "metric=dpe_ep_kwh_m2&year=2022"), headers=auth)
    assert (year.status_code, year.json()["detail"]) == (404, "No commune 06003 in 2022.")


def test_the_route_needs_a_token(client: TestClient) -> None:
    response = client.get(url("06003", "metric=dpe_ep_kwh_m2"))
    assert (response.status_code, response.json()["detail"]) == (
        401,
        "This route needs a bearer token.",
    )


# --- exports and caching -----------------------------------------------------------------------

EXPORT_HEADER = (
    "level,code,name,year,metric,unit,label,n,suppressed,reason,"
    "whisker_low,q1,median,q3,whisker_high,bin,lower,upper,share,density"
)
HEAD = f"commune,06003,Andon,2023,dpe_ep_kwh_m2,{UNIT}"
C_BOX = "15,False,,,124.5,141.0,159.0,"  # no whiskers under 21 DPE
D_BOX = "20,False,,,196.0,215.0,215.0,"
EXPORT_LINES = [
    f"{HEAD},A,,True,complementary,,,,,,,,,,",
    f"{HEAD},B,,True,complementary,,,,,,,,,,",
    f"{HEAD},C,{C_BOX},1,,141.0,0.5,",
    f"{HEAD},C,{C_BOX},2,141.0,,0.5,",
    f"{HEAD},D,{D_BOX},1,,196.0,0.25,",
    f"{HEAD},D,{D_BOX},2,196.0,215.0,0.25,0.01316",
    f"{HEAD},D,{D_BOX},3,215.0,215.0,0.25,",
    f"{HEAD},D,{D_BOX},4,215.0,,0.25,",
    f"{HEAD},E,,True,complementary,,,,,,,,,,",
    f"{HEAD},F,,True,below_min_dpe,,,,,,,,,,",
    f"{HEAD},G,,True,below_min_dpe,,,,,,,,,,",
]


def test_the_export_has_a_row_per_group_and_bin(client: TestClient, auth: dict[str, str]) -> None:
    query = "metric=dpe_ep_kwh_m2&by=etiquette_dpe&format=csv"
    response = client.get(url("06003", query), headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="distribution-commune-06003-dpe_ep_kwh_m2-etiquette_dpe-'
        'distribution.csv"'
    )
    assert response.text.splitlines() == [EXPORT_HEADER, *EXPORT_LINES]


def test_the_parquet_export_holds_the_same_rows(client: TestClient, auth: dict[str, str]) -> None:
    query = "metric=dpe_ep_kwh_m2&by=etiquette_dpe&format=parquet"
    parquet = client.get(url("06003", query), headers=auth)
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    rows = pq.read_table(io.BytesIO(parquet.content)).to_pylist()
    text = client.get(url("06003", query.replace("parquet", "csv")), headers=auth).text
    expected = list(csv.DictReader(io.StringIO(text)))
    assert [list(row) for row in rows] == [EXPORT_HEADER.split(",")] * len(EXPORT_LINES)
    as_text = [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]
    assert as_text == expected
    assert (rows[5]["bin"], rows[5]["density"], rows[5]["n"]) == (2, 0.01316, 20)


def test_a_304_answers_the_etag_and_the_cache_is_keyed_by_the_load(
    world: tuple[Settings, str], auth: dict[str, str], cache_backend: dict[str, Any]
) -> None:
    prefix = {"cache_prefix": f"t{secrets.token_hex(6)}"}  # Redis keys of this test only
    path = url("06003", "metric=dpe_ep_kwh_m2")
    update = "UPDATE area_cuts SET n_ep = %s WHERE code = '06003' AND dimension = 'all'"
    with open_client(world[0], **(cache_backend | prefix)) as client:
        first = client.get(path, headers=auth)
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "private, max-age=300"
        again = client.get(path, headers=auth | {"If-None-Match": etag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
        with connect(world[0], DbRole.OWNER) as conn:
            conn.execute(update, (59,))
        try:
            cached = client.get(path, headers=auth)  # same load: answered from the cache
            assert cached.content == first.content
            publish(world[0], "distribution-v2")
            client.app.state.volt.memo.clear()  # type: ignore[attr-defined]
            fresh = client.get(path, headers=auth | {"If-None-Match": etag})
            assert fresh.status_code == 200
            assert (fresh.json()["data_version"], fresh.json()["groups"][0]["n"]) == (
                "distribution-v2",
                59,
            )
        finally:
            with connect(world[0], DbRole.OWNER) as conn:
                conn.execute(update, (58,))
            publish(world[0], VERSION)


# --- the bins, pure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "min_dpe", "expected"),
    [
        (0, 5, 0),
        (9, 5, 0),  # under 2·k: no histogram
        (10, 5, 2),
        (19, 5, 2),
        (20, 5, 4),
        (24, 5, 4),
        (25, 5, 5),
        (49, 5, 5),
        (50, 5, 10),
        (99, 5, 10),
        (100, 5, 20),
        (100_000, 5, 20),  # never more than the vigintiles allow
        (39, 2, 10),
        (40, 2, 20),
        (29, 10, 2),
        (30, 10, 2),
        (40, 10, 4),
    ],
)
def test_the_bin_count_is_the_largest_that_keeps_k_dpe_per_bin(
    n: int, min_dpe: int, expected: int
) -> None:
    assert bin_count(n, min_dpe) == expected


VIGINTILES = dict(zip(PERCENTS, [float(10 * p) for p in PERCENTS], strict=True))  # p → 10·p


@pytest.mark.parametrize(
    ("n", "edges"),
    [
        (100, [50.0 * i for i in range(1, 20)]),  # 20 bins: every vigintile
        (50, [100.0 * i for i in range(1, 10)]),  # 10 bins: p10, p20 … p90
        (25, [200.0, 400.0, 600.0, 800.0]),  # 5 bins: p20 … p80
        (20, [250.0, 500.0, 750.0]),  # 4 bins: the quartiles
        (10, [500.0]),  # 2 bins: the median
    ],
)
def test_bins_take_the_vigintiles_at_multiples_of_one_over_b(n: int, edges: list[float]) -> None:
    histogram = build_histogram(VIGINTILES, n, 5)
    share = 1 / (len(edges) + 1)
    width = edges[1] - edges[0] if len(edges) > 1 else None
    density = [float(f"{share / width:.4g}")] * (len(edges) - 1) if width else []
    assert [b.model_dump() for b in histogram] == bins(edges, share, density)
    assert sum(b.share for b in histogram) == pytest.approx(1.0)


def test_ties_missing_edges_and_rounding() -> None:
    tied = VIGINTILES | {45: 412.04, 50: 412.0, 55: 412.01}
    # p45 … p55 round to one edge: the bins between them have no width, no density.
    assert [b.model_dump() for b in build_histogram(tied, 100, 5)[8:12]] == [
        {"lower": 400.0, "upper": 412.0, "share": 0.05, "density": 0.004167},
        {"lower": 412.0, "upper": 412.0, "share": 0.05, "density": None},
        {"lower": 412.0, "upper": 412.0, "share": 0.05, "density": None},
        {"lower": 412.0, "upper": 600.0, "share": 0.05, "density": 0.000266},
    ]
    assert build_histogram(VIGINTILES | {50: None}, 10, 5) == []
    assert build_histogram(VIGINTILES | {10: None}, 10, 5) == [
        BinRead(lower=None, upper=500.0, share=0.5, density=None),
        BinRead(lower=500.0, upper=None, share=0.5, density=None),
    ]
    assert build_histogram(VIGINTILES, 9, 5) == []


def test_the_box_is_the_5th_25th_50th_75th_and_95th_percentiles() -> None:
    values = VIGINTILES | {5: 12.349, 95: 987.65001}
    assert build_box(values, 21) == BoxRead(
        whisker_low=12.3, q1=250.0, median=500.0, q3=750.0, whisker_high=987.7
    )
    assert build_box(values, 20) == BoxRead(
        whisker_low=None, q1=250.0, median=500.0, q3=750.0, whisker_high=None
    )
    assert build_box(VIGINTILES | {75: None}, 30) is None


def test_under_21_dpe_p05_and_p10_would_pin_the_two_smallest_values_down() -> None:
    """Why the whiskers wait for 21 DPE: with fewer, p05 and p10 (GET /v1/stats' figure over
    the same DPE) interpolate between the same two smallest values, which two equations give
    back; from 21 on they never share an interval."""

    def position(p: float, n: int) -> float:
        return p * (n - 1)  # quantile_cont's 0-based position

    for n in range(MIN_BOX_DPE, MIN_WHISKER_DPE):
        assert position(0.05, n) < 1 and position(0.10, n) <= 2, n  # both near the smallest
    for n in range(MIN_WHISKER_DPE, 500):
        low, p10 = position(0.05, n), position(0.10, n)
        assert low >= 1 and int(p10) > int(low), n  # p10 in a later interval than p05
