"""DPE filters of GET /v1/stats/{level} and GET /v1/stats/{level}/{code}/breakdown on a
hand-built world: exact JSON, suppression consistent across routes, exports, errors — and the
trap: naive suppression of a breakdown lets hidden cells be recovered by subtraction, ours not.

The world (Enedis year 2023, a database of this module's own): France ⊃ région 93 ⊃
département 06 ⊃ EPCI 200069995 ⊃ four communes, their DPE split by building type and label:

    06011 Bézaudun (46 DPE)  appartement A6 B2 C6 D10 E8 F3 G1 · maison C2 D3 E2 F1 · immeuble D2
    06012 Bonson (20 DPE)    appartement A1 B3 C5 D6 E3 F1 G1
    06013 Cipières (9 DPE)   maison C3 D4 E2
    06014 Coursegoules       no DPE (buildings only)

Every level above the communes holds all of them. Labels GES and recomputed are the published
ones (three identical distributions).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import CLIENT_IP, GENEROUS_LIMITS, bearer, insert_row, migrated_database
from tests.api.test_stats import publish
from tests.domain.test_privacy import recovered
from volt.api.tokens import issue_token
from volt.app import create_app
from volt.auth import users
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.cuts import VALUES, Dimension
from volt.domain.privacy import Group, Key
from volt.domain.roles import Role
from volt.etl.gold_schema import AREA_CUTS, AREAS
from volt.stats.cut_schemas import (
    POPULATION,
    CutDimension,
    EnergieChauffage,
    PeriodeConstruction,
    TypeBatiment,
)

BOTH_CACHE_BACKENDS = True

VERSION = "cuts-v1"
SOURCES = {"dpe": "2026-11-02", "enedis": "2026-06-30"}
EPCI = "200069995"
LABELS = "ABCDEFG"
TYPES = ("maison", "appartement", "immeuble")
Table = dict[str, tuple[int, ...]]  # value → counts A … G
COMMUNES: dict[str, tuple[str, Table]] = {
    "06011": (
        "Bézaudun",
        {
            "appartement": (6, 2, 6, 10, 8, 3, 1),
            "maison": (0, 0, 2, 3, 2, 1, 0),
            "immeuble": (0, 0, 0, 2, 0, 0, 0),
        },
    ),
    "06012": ("Bonson", {"appartement": (1, 3, 5, 6, 3, 1, 1)}),
    "06013": ("Cipières", {"maison": (0, 0, 3, 4, 2, 0, 0)}),
    "06014": ("Coursegoules", {}),
}
# Per-m² figures of some cuts: (n_ep, ep p10, p50, p90, n_ef, ef p10, p50, p90).
FIGURES: dict[tuple[str, str], tuple[float, ...]] = {
    ("06011", "appartement"): (36, 95.04, 180.26, 310.0, 36, 60.0, 120.44, 201.0),
    ("06011", "maison"): (8, 150.0, 240.0, 390.0, 7, 110.0, 170.0, 260.0),
    ("06011", "immeuble"): (2, 120.0, 130.0, 140.0, 2, 90.0, 95.0, 100.0),
    ("06012", "appartement"): (20, 88.0, 160.0, 280.0, 4, 70.0, 110.0, 150.0),
    ("06013", "maison"): (9, 200.0, 260.0, 330.0, 9, 150.0, 190.0, 230.0),
    ("06", "appartement"): (56, 90.0, 175.0, 300.0, 40, 62.0, 118.0, 199.0),
    ("06", "maison"): (17, 160.0, 250.0, 385.0, 16, 115.0, 175.0, 255.0),
    ("06", "immeuble"): (2, 120.0, 130.0, 140.0, 2, 90.0, 95.0, 100.0),
}
COUNT_NAMES = (
    "n_buildings",
    "n_dwellings",
    "n_dpe",
    "n_dpe_dwelling",
    "elec_n_buildings",
    "elec_n_dwellings",
    "elec_n_dpe",
)
BUILDINGS = {"06011": (4, 80), "06012": (2, 40), "06013": (1, 12), "06014": (1, 20)}
ZEROS = (0, 0, 0, 0, 0, 0, 0)


def total(tables: list[Table]) -> Table:
    summed: dict[str, list[int]] = {}
    for table in tables:
        for value, counts in table.items():
            row = summed.setdefault(value, [0] * 7)
            for i, n in enumerate(counts):
                row[i] += n
    return {value: tuple(counts) for value, counts in summed.items()}


ALL = total([table for _, table in COMMUNES.values()])


def area_row(level: str, code: str, name: str | None, parent: tuple[str, str] | None,
             departement: str | None, table: Table, buildings: tuple[int, int],
             year: int = 2023) -> dict[str, Any]:  # fmt: skip
    labels = [sum(counts[i] for counts in table.values()) for i in range(7)]
    n_dpe = sum(labels)
    row: dict[str, Any] = {
        "level": level,
        "code": code,
        "annee": year,
        "name": name,
        "parent_level": parent[0] if parent else None,
        "parent_code": parent[1] if parent else None,
        "code_departement": departement,
    }
    counts = (buildings[0], buildings[1], n_dpe, n_dpe, 0, 0, 0)
    row |= dict(zip(COUNT_NAMES, counts, strict=True))
    for prefix in ("n_label", "n_ges", "n_label_recomputed"):
        row |= {f"{prefix}_{x}": n for x, n in zip("abcdefg", labels, strict=True)}
    return row


def cut_rows(level: str, code: str, table: Table, figures_of: str) -> list[dict[str, Any]]:
    rows = []
    for value, counts in table.items():
        row: dict[str, Any] = {
            "level": level,
            "code": code,
            "annee": 2023,
            "dimension": "type_batiment",
            "value": value,
            "n_dpe": sum(counts),
        }
        for prefix in ("n_label", "n_ges", "n_label_recomputed"):
            row |= {f"{prefix}_{x}": n for x, n in zip("abcdefg", counts, strict=True)}
        figures = FIGURES.get((figures_of, value))
        if figures is not None:
            n_ep, ep10, ep50, ep90, n_ef, ef10, ef50, ef90 = figures
            row |= {"n_ep": n_ep, "ep_p10": ep10, "ep_p50": ep50, "ep_p90": ep90}
            row |= {"n_ef": n_ef, "ef_p10": ef10, "ef_p50": ef50, "ef_p90": ef90}
        rows.append(row)
    return rows


def world() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`areas` and `area_cuts` rows."""
    everything = (sum(b for b, _ in BUILDINGS.values()), sum(d for _, d in BUILDINGS.values()))
    tops = [
        ("france", "FR", "France", None, None),
        ("region", "93", None, ("france", "FR"), None),
        ("departement", "06", None, ("region", "93"), "06"),
        ("epci", EPCI, None, ("departement", "06"), "06"),
    ]
    areas = [area_row("france", "FR", "France", None, None, ALL, everything, year=2022)]
    cuts = []
    for level, code, name, parent, departement in tops:
        areas.append(area_row(level, code, name, parent, departement, ALL, everything))
        cuts += cut_rows(level, code, ALL, "06")
    for code, (name, table) in COMMUNES.items():
        parent = ("epci", EPCI)
        areas.append(area_row("commune", code, name, parent, "06", table, BUILDINGS[code]))
        cuts += cut_rows("commune", code, table, code)
    return areas, cuts


@pytest.fixture(scope="module")
def world_settings(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, str]:
    base = migrated_database(database_factory, tmp_path_factory.mktemp("cuts"), "cuts")
    settings = load_settings(**(base.model_dump() | {"rate_limits": GENEROUS_LIMITS}))
    areas, cuts = world()
    with connect(settings, DbRole.OWNER) as conn:
        for row in areas:
            assert set(row) <= set(AREAS.column_names)
            insert_row(conn, "areas", row)
        for row in cuts:
            assert set(row) <= set(AREA_CUTS.column_names)
            insert_row(conn, "area_cuts", row)
    publish(settings, VERSION)
    with connect(settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, settings, "cuts-reader@example.org")
    return settings, issue_token(settings, user.id, Role.READER).access_token


@pytest.fixture
def client(world_settings: tuple[Settings, str]) -> Iterator[TestClient]:
    with TestClient(create_app(world_settings[0]), client=(CLIENT_IP, 50000)) as test_client:
        yield test_client


@pytest.fixture
def auth(world_settings: tuple[Settings, str]) -> dict[str, str]:
    return bearer(world_settings[1])


def get(client: TestClient, auth: dict[str, str], path: str, status: int = 200) -> Any:
    response = client.get(path, headers=auth)
    assert response.status_code == status, response.text
    return response.json()


def test_the_filter_enums_are_the_cut_slugs() -> None:
    enums = {
        CutDimension.TYPE_BATIMENT: TypeBatiment,
        CutDimension.PERIODE_CONSTRUCTION: PeriodeConstruction,
        CutDimension.ENERGIE_CHAUFFAGE: EnergieChauffage,
    }
    for dimension, enum in enums.items():
        assert tuple(enum) == VALUES[Dimension(dimension.value)]
    assert set(CutDimension) == {Dimension(d.value) for d in CutDimension}


def test_the_world_keeps_the_contract() -> None:
    # Per area, the values of a dimension add up to its n_dpe, and their label mixes to its.
    areas, cuts = world()
    for area in (a for a in areas if a["annee"] == 2023):
        own = [c for c in cuts if (c["level"], c["code"]) == (area["level"], area["code"])]
        assert sum(c["n_dpe"] for c in own) == area["n_dpe"]
        for x in "abcdefg":
            assert sum(c[f"n_label_{x}"] for c in own) == area[f"n_label_{x}"]


def cell(value: float | None, reason: str | None = None) -> dict[str, Any]:
    return {"value": value, "suppressed": reason is not None, "reason": reason}


def cut(value: str, n_dpe: int | None, reason: str | None = None) -> dict[str, Any]:
    return {
        "dimension": "type_batiment",
        "value": value,
        "n_dpe": n_dpe,
        "suppressed": reason is not None,
        "reason": reason,
    }


def commune(code: str, the_cut: dict[str, Any], **metrics: Any) -> dict[str, Any]:
    name, table = COMMUNES[code]
    n_dpe = sum(map(sum, table.values()))
    buildings, dwellings = BUILDINGS[code]
    return {
        "level": "commune",
        "code": code,
        "name": name,
        "year": 2023,
        "parent_level": "epci",
        "parent_code": EPCI,
        "code_departement": "06",
        "counts": dict(
            zip(COUNT_NAMES, (buildings, dwellings, n_dpe, n_dpe, 0, 0, 0), strict=True)
        ),
        "cut": the_cut,
        "metrics": metrics,
    }


def page(value: str, items: list[dict[str, Any]], metrics: list[str], **extra: Any) -> dict:
    return {
        "data_version": VERSION,
        "sources": SOURCES,
        "level": "commune",
        "year": 2023,
        "filter": {"dimension": "type_batiment", "value": value, "population": POPULATION},
        "metrics": metrics,
        "items": items,
        "next": None,
    } | extra


OF_06 = "/v1/stats/commune?parent=06&parent_level=departement"
TWO = "dpe_ep_kwh_m2_median,dpe_ef_kwh_m2_p90"
BELOW = "below_min_dpe"
COMPLEMENTARY = "complementary"


# --- GET /v1/stats/{level} under a DPE filter ------------------------------------------------


def test_a_filter_gives_each_commune_its_cut(client: TestClient, auth: dict[str, str]) -> None:
    body = get(client, auth, f"{OF_06}&type_batiment=maison&metrics={TWO}")
    assert body == page(
        "maison",
        [
            # 8 houses, hidden with the 2 building-wide DPE (46 - 36 would give them away).
            commune(
                "06011",
                cut("maison", None, COMPLEMENTARY),
                dpe_ep_kwh_m2_median=cell(None, COMPLEMENTARY),
                dpe_ef_kwh_m2_p90=cell(None, COMPLEMENTARY),
            ),
            commune(
                "06012",
                cut("maison", 0),
                dpe_ep_kwh_m2_median=cell(None),
                dpe_ef_kwh_m2_p90=cell(None),
            ),
            commune(
                "06013",
                cut("maison", 9),
                dpe_ep_kwh_m2_median=cell(260.0),
                dpe_ef_kwh_m2_p90=cell(230.0),
            ),
            commune(
                "06014",
                cut("maison", 0),
                dpe_ep_kwh_m2_median=cell(None),
                dpe_ef_kwh_m2_p90=cell(None),
            ),
        ],
        TWO.split(","),
    )


def test_a_small_cut_hides_its_figures_and_a_figure_needs_its_own_dpe(
    client: TestClient, auth: dict[str, str]
) -> None:
    immeuble = get(client, auth, f"{OF_06}&type_batiment=immeuble&metrics={TWO}")
    assert [(row["code"], row["cut"], row["metrics"]) for row in immeuble["items"][:2]] == [
        (
            "06011",
            cut("immeuble", None, BELOW),
            {"dpe_ep_kwh_m2_median": cell(None, BELOW), "dpe_ef_kwh_m2_p90": cell(None, BELOW)},
        ),
        (
            "06012",
            cut("immeuble", 0),
            {"dpe_ep_kwh_m2_median": cell(None), "dpe_ef_kwh_m2_p90": cell(None)},
        ),
    ]
    # Bonson's 20 flats: 20 primary energy figures, 4 final energy ones.
    flats = get(
        client, auth, f"/v1/stats/commune?code=06012&type_batiment=appartement&metrics={TWO}"
    )
    assert flats["items"][0]["cut"] == cut("appartement", 20)
    assert flats["items"][0]["metrics"] == {
        "dpe_ep_kwh_m2_median": cell(160.0),
        "dpe_ef_kwh_m2_p90": cell(None, BELOW),
    }


def test_default_metrics_under_a_filter_are_the_two_medians(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = get(client, auth, "/v1/stats/departement?code=06&type_batiment=appartement")
    n_dpe = sum(map(sum, ALL.values()))
    assert body == {
        "data_version": VERSION,
        "sources": SOURCES,
        "level": "departement",
        "year": 2023,
        "filter": {"dimension": "type_batiment", "value": "appartement", "population": POPULATION},
        "metrics": ["dpe_ep_kwh_m2_median", "dpe_ef_kwh_m2_median"],
        "items": [
            {
                "level": "departement",
                "code": "06",
                "name": None,
                "year": 2023,
                "parent_level": "region",
                "parent_code": "93",
                "code_departement": "06",
                "counts": dict(zip(COUNT_NAMES, (8, 152, n_dpe, n_dpe, 0, 0, 0), strict=True)),
                "cut": cut("appartement", 56),
                "metrics": {
                    "dpe_ep_kwh_m2_median": cell(175.0),
                    "dpe_ef_kwh_m2_median": cell(118.0),
                },
            }
        ],
        "next": None,
    }


def test_an_empty_year_under_a_filter_is_an_empty_page(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = get(client, auth, f"{OF_06}&type_batiment=maison&year=2022")
    assert body == page("maison", [], ["dpe_ep_kwh_m2_median", "dpe_ef_kwh_m2_median"], year=2022)


def test_filters_keep_the_keyset_pages(client: TestClient, auth: dict[str, str]) -> None:
    first = get(client, auth, f"{OF_06}&type_batiment=maison&limit=2")
    assert ([r["code"] for r in first["items"]], first["next"]) == (["06011", "06012"], "06012")
    second = get(client, auth, f"{OF_06}&type_batiment=maison&limit=2&after=06012")
    assert [(r["code"], r["cut"]["n_dpe"]) for r in second["items"]] == [("06013", 9), ("06014", 0)]


def problem(detail: str, hint: str) -> dict[str, Any]:
    return {
        "type": "https://volt.example/problems/invalid-request",
        "title": "Invalid request",
        "status": 422,
        "detail": detail,
        "hint": hint,
    }


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (
            "commune?type_batiment=maison&energie_chauffage=gaz_naturel",
            problem(
                "One DPE filter at a time: type_batiment and energie_chauffage cannot be combined.",
                "Keep one of type_batiment, periode_construction and energie_chauffage; "
                "GET /v1/stats/{level}/{code}/breakdown crosses a dimension with the labels.",
            ),
        ),
        (
            "street?parent=06011&periode_construction=avant_1948",
            problem(
                "DPE filters exist from the commune up, not at level street.",
                "Filter at one of commune, epci, departement, region, france, or drop the filter.",
            ),
        ),
        (
            "commune?type_batiment=maison&metrics=dpe_ep_kwh_m2_median,n_dpe,metered_kwh_m2_median",
            problem(
                "Not available under a DPE filter: n_dpe, metered_kwh_m2_median.",
                "Under a filter: dpe_ef_kwh_m2_median, dpe_ef_kwh_m2_p10, dpe_ef_kwh_m2_p90, "
                "dpe_ep_kwh_m2_median, dpe_ep_kwh_m2_p10, dpe_ep_kwh_m2_p90 "
                "(GET /v1/metrics: `filterable`).",
            ),
        ),
    ],
)
def test_invalid_filters_are_422_problems(
    client: TestClient, auth: dict[str, str], query: str, body: dict[str, Any]
) -> None:
    response = client.get(f"/v1/stats/{query}", headers=auth)
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.status_code, response.json()) == (422, body)


def test_an_unknown_filter_value_is_a_422(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/stats/commune?type_batiment=chateau", headers=auth)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["query", "type_batiment"]]


def test_the_filtered_list_exports_as_csv_and_parquet(
    client: TestClient, auth: dict[str, str]
) -> None:
    path = f"{OF_06}&type_batiment=maison&metrics=dpe_ep_kwh_m2_median"
    response = client.get(f"{path}&format=csv", headers=auth)
    assert response.headers["content-disposition"] == (
        'attachment; filename="stats-commune-06-type_batiment-maison-cuts-v1.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "level",
        "code",
        "name",
        "year",
        "parent_level",
        "parent_code",
        "code_departement",
        *(f"counts.{name}" for name in COUNT_NAMES),
        "cut.dimension",
        "cut.value",
        "cut.n_dpe",
        "cut.suppressed",
        "cut.reason",
        "metrics.dpe_ep_kwh_m2_median.value",
        "metrics.dpe_ep_kwh_m2_median.suppressed",
        "metrics.dpe_ep_kwh_m2_median.reason",
    ]
    assert [
        (r["code"], r["cut.n_dpe"], r["cut.reason"], r["metrics.dpe_ep_kwh_m2_median.value"])
        for r in rows
    ] == [
        ("06011", "", COMPLEMENTARY, ""),
        ("06012", "0", "", ""),
        ("06013", "9", "", "260.0"),
        ("06014", "0", "", ""),
    ]
    parquet = client.get(f"{path}&format=parquet", headers=auth)
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column("code").to_pylist() == ["06011", "06012", "06013", "06014"]
    assert table.column("cut.n_dpe").to_pylist() == [None, 0, 9, 0]
    assert table.column("cut.value").to_pylist() == ["maison"] * 4


def test_the_documentation_says_which_dpe_a_filtered_figure_covers(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/v1/stats/{level}"]["get"]
    assert "building-wide (immeuble) DPE included" in operation["description"]
    assert "unfiltered per-m² figures are over dwelling DPE only" in operation["description"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    reference = parameters["type_batiment"]["anyOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert document["components"]["schemas"][reference]["enum"] == list(TYPES)


# --- GET /v1/stats/{level}/{code}/breakdown --------------------------------------------------

Cell = int | str  # a published count, or the reason code of a hidden one: "b" or "c"
REASONS = {"b": BELOW, "c": COMPLEMENTARY}


def value_read(
    table: Table, value: str, n_dpe: int | str, cells: tuple[Cell, ...]
) -> dict[str, Any]:
    """A breakdown item of an area's `table`, from its count (or reason code) and its cells."""
    hidden = n_dpe if isinstance(n_dpe, str) else None
    labelled = sum(table.get(value, ZEROS)) if hidden is None else None
    labels = {}
    for label, entry in zip(LABELS, cells, strict=True):
        count = entry if isinstance(entry, int) else None
        share = None
        if count is not None and labelled:
            share = round(count / labelled, 4)
        reason = REASONS[entry] if isinstance(entry, str) else None
        labels[label] = {
            "count": count,
            "share": share,
            "suppressed": reason is not None,
            "reason": reason,
        }
    return {
        "value": value,
        "n_dpe": None if hidden is not None else n_dpe,
        "suppressed": hidden is not None,
        "reason": REASONS[hidden] if hidden is not None else None,
        "n_labelled": labelled,
        "labels": labels,
    }


def breakdown(level: str, code: str, name: str | None, items: list[dict[str, Any]]) -> dict:
    table = ALL if level != "commune" else COMMUNES[code][1]
    n_dpe = sum(map(sum, table.values()))
    return {
        "data_version": VERSION,
        "sources": SOURCES,
        "level": level,
        "code": code,
        "name": name,
        "year": 2023,
        "dimension": "type_batiment",
        "by": "etiquette_dpe",
        "n_dpe": n_dpe,
        "n_labelled": n_dpe,
        "items": items,
    }


def test_the_breakdown_of_a_departement(client: TestClient, auth: dict[str, str]) -> None:
    body = get(client, auth, "/v1/stats/departement/06/breakdown?dimension=type_batiment")
    # The 2 building-wide DPE are hidden with the 17 houses (75 - 56 gives both together),
    # and the houses' D (7) with their E and F (2 and 1): they must weigh 5 under their hidden
    # count. Among the flats, F and G (4 and 2) are hidden; B too, or the labels route's
    # hidden B count would be it (only flats are labelled B), and E, or label E's count (15)
    # minus it would be the houses' 2.
    assert body == breakdown(
        "departement",
        "06",
        None,
        [
            value_read(ALL, "maison", "c", (0, 0, 5, "c", "b", "b", 0)),
            value_read(ALL, "appartement", 56, (7, "c", 11, 16, "c", "b", "b")),
            value_read(ALL, "immeuble", "b", (0, 0, 0, "b", 0, 0, 0)),
        ],
    )


def test_the_breakdown_of_a_commune_hides_what_its_totals_would_give_away(
    client: TestClient, auth: dict[str, str]
) -> None:
    # Bézaudun's flats are published, its 8 houses hidden with its 2 building-wide DPE. Every
    # label count of its flats goes: the labels route publishes C, D and E, whose other cells
    # are hidden houses and building-wide DPE (C: 8 - 6 would be the houses' 2), and hides A,
    # B, F and G, which its flats' cells would give away.
    table = COMMUNES["06011"][1]
    body = get(client, auth, "/v1/stats/commune/06011/breakdown?dimension=type_batiment&year=2023")
    assert body == breakdown(
        "commune",
        "06011",
        "Bézaudun",
        [
            value_read(table, "maison", "c", (0, 0, "b", "b", "b", "b", 0)),
            value_read(table, "appartement", 36, ("c", "b", "c", "c", "c", "b", "b")),
            value_read(table, "immeuble", "b", (0, 0, 0, "b", 0, 0, 0)),
        ],
    )


def test_a_small_commune_and_an_empty_one(client: TestClient, auth: dict[str, str]) -> None:
    table = COMMUNES["06013"][1]
    small = get(client, auth, "/v1/stats/commune/06013/breakdown?dimension=type_batiment")
    assert small["items"] == [
        value_read(table, "maison", 9, (0, 0, "b", "b", "b", 0, 0)),
        value_read(table, "appartement", 0, ZEROS),
        value_read(table, "immeuble", 0, ZEROS),
    ]
    empty = get(client, auth, "/v1/stats/commune/06014/breakdown?dimension=type_batiment")
    assert empty == breakdown(
        "commune",
        "06014",
        "Coursegoules",
        [value_read({}, value, 0, ZEROS) for value in TYPES],
    )


def test_a_value_count_has_the_same_pattern_on_both_routes(
    client: TestClient, auth: dict[str, str]
) -> None:
    areas = [("commune", code) for code in COMMUNES] + [
        ("epci", EPCI),
        ("departement", "06"),
        ("region", "93"),
        ("france", "FR"),
    ]
    seen = set()
    for level, code in areas:
        body = get(client, auth, f"/v1/stats/{level}/{code}/breakdown?dimension=type_batiment")
        for by in ("etiquette_ges", "label_recomputed"):
            other = get(
                client, auth, f"/v1/stats/{level}/{code}/breakdown?dimension=type_batiment&by={by}"
            )
            assert [i["n_dpe"] for i in other["items"]] == [i["n_dpe"] for i in body["items"]]
        for item in body["items"]:
            rows = get(client, auth, f"/v1/stats/{level}?code={code}&type_batiment={item['value']}")
            shown = rows["items"][0]["cut"]
            assert (shown["n_dpe"], shown["suppressed"], shown["reason"]) == (
                item["n_dpe"],
                item["suppressed"],
                item["reason"],
            ), (level, code, item["value"])
            seen.add((item["suppressed"], item["reason"]))
    assert seen == {(False, None), (True, BELOW), (True, COMPLEMENTARY)}


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        (
            "street/06011_0010/breakdown?dimension=type_batiment",
            422,
            "Breakdowns exist from the commune up, not at level street.",
        ),
        ("commune/06099/breakdown?dimension=type_batiment", 404, "No commune 06099."),
        (
            "commune/06011/breakdown?dimension=type_batiment&year=2022",
            404,
            "No commune 06011 in 2022.",
        ),
    ],
)
def test_breakdown_errors(
    client: TestClient, auth: dict[str, str], path: str, status: int, detail: str
) -> None:
    response = client.get(f"/v1/stats/{path}", headers=auth)
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.status_code, response.json()["detail"]) == (status, detail)


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("", ["query", "dimension"]),
        ("dimension=etiquette_dpe", ["query", "dimension"]),
        ("dimension=type_batiment&by=surface", ["query", "by"]),
    ],
)
def test_breakdown_parameters_are_checked(
    client: TestClient, auth: dict[str, str], query: str, loc: list[str]
) -> None:
    response = client.get(f"/v1/stats/commune/06011/breakdown?{query}", headers=auth)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [loc]


def test_the_breakdown_exports_one_row_per_value(client: TestClient, auth: dict[str, str]) -> None:
    path = "/v1/stats/departement/06/breakdown?dimension=type_batiment"
    response = client.get(f"{path}&format=csv", headers=auth)
    assert response.headers["content-disposition"] == (
        'attachment; filename="breakdown-departement-06-type_batiment-etiquette_dpe-cuts-v1.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    head = ["value", "n_dpe", "suppressed", "reason", "n_labelled"]
    per_label = [
        f"labels.{x}.{f}" for x in LABELS for f in ("count", "share", "suppressed", "reason")
    ]
    assert list(rows[0]) == head + per_label
    assert [(r["value"], r["n_dpe"], r["labels.A.count"], r["labels.D.share"]) for r in rows] == [
        ("maison", "", "0", ""),
        ("appartement", "56", "7", "0.2857"),
        ("immeuble", "", "0", ""),
    ]
    parquet = client.get(f"{path}&format=parquet", headers=auth)
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column_names == head + per_label
    assert table.column("labels.C.count").to_pylist() == [5, 11, 0]


# --- caching ---------------------------------------------------------------------------------


def test_cut_answers_are_cached_and_revalidated(
    world_settings: tuple[Settings, str], cache_backend: dict[str, Any]
) -> None:
    settings = load_settings(**(world_settings[0].model_dump() | cache_backend))
    auth = bearer(world_settings[1])
    with TestClient(create_app(settings), client=(CLIENT_IP, 50000)) as client:
        for path in (
            "/v1/stats/commune/06011/breakdown?dimension=type_batiment",
            f"{OF_06}&energie_chauffage=fioul",
        ):
            first = client.get(path, headers=auth)
            again = client.get(path, headers=auth)
            assert (first.status_code, again.content) == (200, first.content)
            etag = first.headers["etag"]
            revalidated = client.get(path, headers=auth | {"If-None-Match": etag})
            assert revalidated.status_code == 304


# --- the trap: recovery by subtraction -------------------------------------------------------

AREAS_OF_WORLD = [
    *(("commune", code) for code in COMMUNES),
    ("epci", EPCI),
    ("departement", "06"),
    ("region", "93"),
    ("france", "FR"),
]
# Children adding up to a parent: the communes to their EPCI and to their département, the
# EPCI to the département, and so on up.
SIBLINGS = [
    (("epci", EPCI), [("commune", code) for code in COMMUNES]),
    (("departement", "06"), [("commune", code) for code in COMMUNES]),
    (("departement", "06"), [("epci", EPCI)]),
    (("region", "93"), [("departement", "06")]),
    (("france", "FR"), [("region", "93")]),
]


def true_values() -> dict[Key, int]:
    """Every count the routes publish or hide: breakdown cells ("x"), value counts ("c"),
    label counts ("L")."""
    values: dict[Key, int] = {}
    for level, code in AREAS_OF_WORLD:
        table = COMMUNES[code][1] if level == "commune" else ALL
        for value in TYPES:
            counts = table.get(value, ZEROS)
            values[("c", level, code, value)] = sum(counts)
            for label, n in zip(LABELS, counts, strict=True):
                values[("x", level, code, value, label)] = n
        for i, label in enumerate(LABELS):
            values[("L", level, code, label)] = sum(c[i] for c in table.values())
    return values


def equations(hidden: set[Key]) -> list[Group]:
    """What a reader of every route knows adds up: an area's value counts to its n_dpe, its
    label counts to its labelled DPE, its table's rows to the value counts and columns to the
    label counts (every DPE has a label here), all cells to the labelled DPE; children to
    their parent. A total the routes hide is an unknown (`hidden_total`)."""

    def total(key: Key) -> Key | None:
        return key if key in hidden else None

    groups = []
    for level, code in AREAS_OF_WORLD:
        area = (level, code)
        groups.append(Group(tuple(("c", *area, v) for v in TYPES)))
        groups.append(Group(tuple(("L", *area, x) for x in LABELS)))
        groups.append(Group(tuple(("x", *area, v, x) for v in TYPES for x in LABELS)))
        for v in TYPES:
            groups.append(Group(tuple(("x", *area, v, x) for x in LABELS), total(("c", *area, v))))
        for x in LABELS:
            groups.append(Group(tuple(("x", *area, v, x) for v in TYPES), total(("L", *area, x))))
    for parent, children in SIBLINGS:
        for v in TYPES:
            members = tuple(("c", *child, v) for child in children)
            groups.append(Group(members, total(("c", *parent, v))))
            for x in LABELS:
                members = tuple(("x", *child, v, x) for child in children)
                groups.append(Group(members, total(("x", *parent, v, x))))
        for x in LABELS:
            members = tuple(("L", *child, x) for child in children)
            groups.append(Group(members, total(("L", *parent, x))))
    return groups


def published_hidden(client: TestClient, auth: dict[str, str]) -> set[Key]:
    """The counts the routes hide: breakdowns, DPE filters and labels of every area."""
    hidden: set[Key] = set()
    for level, code in AREAS_OF_WORLD:
        body = get(client, auth, f"/v1/stats/{level}/{code}/breakdown?dimension=type_batiment")
        for item in body["items"]:
            if item["suppressed"]:
                hidden.add(("c", level, code, item["value"]))
            for label, entry in item["labels"].items():
                if entry["suppressed"]:
                    hidden.add(("x", level, code, item["value"], label))
        for value in TYPES:
            rows = get(client, auth, f"/v1/stats/{level}?code={code}&type_batiment={value}")
            if rows["items"][0]["cut"]["suppressed"]:
                hidden.add(("c", level, code, value))
        labels = get(client, auth, f"/v1/stats/{level}/{code}/labels")
        for entry in labels["items"][:7]:  # the published energy label: the breakdown's `by`
            if entry["suppressed"]:
                hidden.add(("L", level, code, entry["label"]))
    return hidden


def test_naive_suppression_of_a_breakdown_lets_hidden_cells_be_recovered() -> None:
    values = true_values()
    naive = {key for key, n in values.items() if 0 < n < 5}  # primary suppression only
    found = recovered(values, equations(naive), dict.fromkeys(naive))
    # Bézaudun's 2 building-wide DPE: its 46 DPE minus 36 flats and 8 houses; its label D
    # count (15) minus its flats' and houses' D; Bonson's one flat labelled A: the
    # département's 7 flats labelled A minus Bézaudun's 6 (and the other two have none).
    assert found[("c", "commune", "06011", "immeuble")] == 2
    assert found[("x", "commune", "06011", "immeuble", "D")] == 2
    assert found[("x", "commune", "06012", "appartement", "A")] == 1


def test_no_hidden_count_can_be_recovered_from_everything_the_routes_publish(
    client: TestClient, auth: dict[str, str]
) -> None:
    values = true_values()
    hidden = published_hidden(client, auth)
    assert {key for key, n in values.items() if 0 < n < 5} <= hidden  # every small count
    assert recovered(values, equations(hidden), dict.fromkeys(hidden)) == {}
