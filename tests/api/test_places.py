"""Places: search (communes, streets, addresses), one commune, communes by département — exact
JSON on a small hand-built world in a database of this module's own."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    GENEROUS_LIMITS,
    add_user,
    app_of,
    assert_refused,
    bearer,
    migrated_database,
    open_client,
    publish_load,
)
from volt.api.tokens import issue_token
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role
from volt.places import queries
from volt.places.schemas import CommunePage
from volt.places.service import search_params, search_text

BOTH_CACHE_BACKENDS = True  # the caching test runs on the memory cache and a real Redis

VERSION = "v1-places-world"
MANIFEST = {"entries": [{"source": "dpe", "vintage": "2026-11-02"}]}
LOAD = {"data_version": VERSION, "sources": {"dpe": "2026-11-02"}}

COMMUNES = [
    # code_insee, nom, code_departement, code_region, code_epci, nom_epci, lon, lat
    ("06004", "Antibes", "06", "93", "240600585", "CA Sophia Antipolis", 7.1075, 43.5804),
    ("06029", "Cannes", "06", "93", "200039915", "CA Cannes Pays de Lérins", 7.0128, 43.5513),
    ("06030", "Le Cannet", "06", "93", "200039915", "CA Cannes Pays de Lérins", 7.0193, 43.5769),
    ("06088", "Nice", "06", "93", "200030195", "Métropole Nice Côte d'Azur", 7.262, 43.7102),
    ("2A004", "Ajaccio", "2A", "94", "242010056", "CA du Pays Ajaccien", 8.7369, 41.9192),
    ("42218", "Saint-Étienne", "42", "84", "244200770", "Saint-Étienne Métropole", 4.3872, 45.4397),
    ("77059", "Cannes-Écluse", "77", "11", "200040251", "CC du Pays de Montereau", 2.987, 48.365),
]
AREAS = [
    # level, code, annee, name, parent_code, code_departement, n_buildings, n_dwellings, n_dpe,
    # DPE labels a..g
    ("commune", "06029", 2022, "Cannes", "200039915", "06", 3, 100, 30, (0, 5, 5, 10, 10, 0, 0)),
    ("commune", "06029", 2023, "Cannes", "200039915", "06", 4, 1234, 40, (0, 2, 8, 15, 10, 5, 0)),
    ("commune", "06030", 2023, "Le Cannet", "200039915", "06", 2, 28, 12, (0, 0, 5, 7, 0, 0, 0)),
    ("commune", "06088", 2023, "Nice", "200030195", "06", 1, 10, 0, (0,) * 7),
    ("commune", "2A004", 2023, "Ajaccio", "242010056", "2A", 1, 12, 3, (0, 0, 0, 2, 1, 0, 0)),
    ("commune", "42218", 2023, "Saint-Étienne", "244200770", "42", 10, 15000, 900,
     (10, 40, 150, 300, 250, 100, 50)),
    ("street", "06029_0460", 2022, "Boulevard Carnot", "06029", "06", 2, 70, 6, (0,) * 7),
    ("street", "06029_0460", 2023, "Boulevard Carnot", "06029", "06", 3, 120, 9, (0,) * 7),
    ("street", "06030_0120", 2023, "Boulevard Carnot", "06030", "06", 1, 14, 0, (0,) * 7),
    ("street", "06029_0100", 2023, "Rue d'Antibes", "06029", "06", 5, 300, 20, (0,) * 7),
    ("street", "06030_0300", 2023, "Avenue de Cannes", "06030", "06", 1, 14, 1, (0,) * 7),
    ("street", "06029_0700", 2023, "Le Cannet", "06029", "06", 1, 11, 0, (0,) * 7),
    ("street", "42218_1234", 2023, "Rue de la République", "42218", "42", 4, 200, 12, (0,) * 7),
]  # fmt: skip
BUILDINGS = [
    # ban_id, annee, code_insee, code_departement, nom_voie, numero, n_dwellings, n_dpe, label
    ("06029_0460_00012", 2022, "06029", "06", "Boulevard Carnot", "12", 50, 6, "E"),
    ("06029_0460_00012", 2023, "06029", "06", "Boulevard Carnot", "12", 54, 7, "D"),
    ("06029_0460_00012_bis", 2023, "06029", "06", "Boulevard Carnot", "12", 11, 2, "C"),
    ("06030_0120_00005", 2023, "06030", "06", "Boulevard Carnot", "5", 14, 0, None),
    ("42218_1234_00003", 2023, "42218", "42", "Rue de la République", "3", 60, 12, "E"),
]

# Cannes 2023's other counts (the rows above leave them NULL, which the routes read as 0).
CANNES_2023_COUNTS = {"n_dpe_dwelling": 38, "elec_n_buildings": 2, "elec_n_dwellings": 610,
                      "elec_n_dpe": 9}  # fmt: skip
SET_CANNES_2023_COUNTS = """
UPDATE areas SET n_dpe_dwelling = %(n_dpe_dwelling)s, elec_n_buildings = %(elec_n_buildings)s,
                 elec_n_dwellings = %(elec_n_dwellings)s, elec_n_dpe = %(elec_n_dpe)s
WHERE level = 'commune' AND code = '06029' AND annee = 2023
"""

LABEL_COLUMNS = ", ".join(f"n_label_{x}" for x in "abcdefg")
INSERT_AREA = f"""
INSERT INTO areas (level, code, annee, name, parent_level, parent_code, code_departement,
                   n_buildings, n_dwellings, n_dpe, {LABEL_COLUMNS})
VALUES (%s, %s, %s, %s, CASE %s WHEN 'street' THEN 'commune' ELSE 'epci' END, %s, %s, %s, %s, %s,
        %s, %s, %s, %s, %s, %s, %s)
"""
INSERT_BUILDING = """
INSERT INTO buildings (ban_id, annee, code_insee, code_departement, street_code, nom_voie, numero,
                       lon, lat, n_dwellings, n_dpe, building_label)
VALUES (%s, %s, %s, %s, split_part(%s, '_', 1) || '_' || split_part(%s, '_', 2), %s, %s,
        7.0, 43.5, %s, %s, %s)
"""


def publish(settings: Settings, version: str) -> None:
    publish_load(settings, version, MANIFEST)


@pytest.fixture(scope="module")
def world(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    base = migrated_database(database_factory, tmp_path_factory.mktemp("places"), "places")
    settings = load_settings(**(base.model_dump() | {"rate_limits": GENEROUS_LIMITS}))
    with connect(settings, DbRole.OWNER) as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO communes VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", COMMUNES)
        cur.executemany(
            INSERT_AREA,
            [(lv, code, year, name, lv, parent, dep, nb, nd, ndpe, *labels)
             for lv, code, year, name, parent, dep, nb, nd, ndpe, labels in AREAS],
        )  # fmt: skip
        cur.executemany(
            INSERT_BUILDING,
            [(ban, year, insee, dep, ban, ban, voie, num, nd, ndpe, label)
             for ban, year, insee, dep, voie, num, nd, ndpe, label in BUILDINGS],
        )  # fmt: skip
        cur.execute(SET_CANNES_2023_COUNTS, CANNES_2023_COUNTS)
    publish(settings, VERSION)
    return settings


def reader_token(settings: Settings) -> dict[str, str]:
    user_id = add_user(settings, f"places-{secrets.token_hex(5)}@example.org")
    return bearer(issue_token(settings, user_id, Role.READER).access_token)


Api = tuple[TestClient, dict[str, str]]


@pytest.fixture(scope="module")
def api(world: Settings) -> Iterator[Api]:
    with open_client(world) as client:
        yield client, reader_token(world)


def get(api: Api, url: str) -> Any:
    client, auth = api
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def hit(kind: str, code: str, name: str, commune: str | None, summary: str, score: float) -> Any:
    insee = {c[1]: c[0] for c in COMMUNES}
    ref = None if commune is None else {"code_insee": insee[commune], "nom": commune}
    return {"type": kind, "code": code, "name": name, "commune": ref, "summary": summary,
            "score": score}  # fmt: skip


COUNT_NAMES = ("n_buildings", "n_dwellings", "n_dpe", "n_dpe_dwelling", "elec_n_buildings",
               "elec_n_dwellings", "elec_n_dpe")  # fmt: skip


def counts(buildings: int, dwellings: int, dpe: int, *others: int) -> dict[str, int]:
    """The seven counts of GET /v1/stats: the last four 0 unless given."""
    values = (buildings, dwellings, dpe, *others, *(0,) * (4 - len(others)))
    return dict(zip(COUNT_NAMES, values, strict=True))


def links(code: str, year: int) -> dict[str, str]:
    return {
        "stats": f"/v1/stats/commune?code={code}&year={year}",
        "labels": f"/v1/stats/commune/{code}/labels?year={year}",
        "dpe_vs_metered": f"/v1/stats/commune/{code}/dpe-vs-metered?year={year}",
    }


NO_LINKS = {"stats": None, "labels": None, "dpe_vs_metered": None}
IDENTITY = ("code_insee", "nom", "code_departement", "code_region", "code_epci", "nom_epci",
            "lon", "lat")  # fmt: skip
CANNES = dict(zip(IDENTITY, COMMUNES[1], strict=True))
PATTERN_MSG = "String should match pattern '{}'"
DEP = "^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-8])$"
INSEE = "^([0-9]{5}|2[AB][0-9]{3})$"


# --- search -------------------------------------------------------------------------------------


def test_a_typo_finds_the_commune(api: Api) -> None:
    assert get(api, "/v1/places/search?q=canes") == LOAD | {
        "query": "canes",
        "items": [
            hit("commune", "06029", "Cannes", "Cannes",
                "Commune, 06 — 1,234 dwellings metered by Enedis", 0.625),
            hit("commune", "77059", "Cannes-Écluse", "Cannes-Écluse",
                "Commune, 77 — no address published by Enedis", 0.333),
            # Found as a word of its name ("cannes"), scored on the whole name.
            hit("street", "06030_0300", "Avenue de Cannes", "Le Cannet",
                "Street in Le Cannet — 1 building", 0.278),
        ],
    }  # fmt: skip


@pytest.mark.parametrize("q", ["saint etienne", "Saint-Etienne", "ST-ÉTIENNE", "st etienne"])
def test_accents_hyphens_case_and_abbreviations_do_not_matter(api: Api, q: str) -> None:
    assert get(api, f"/v1/places/search?q={q}") == LOAD | {
        "query": "saint etienne",
        "items": [
            hit("commune", "42218", "Saint-Étienne", "Saint-Étienne",
                "Commune, 42 — 15,000 dwellings metered by Enedis", 1.0),
        ],
    }  # fmt: skip


def test_a_street_with_its_commune_comes_first(api: Api) -> None:
    assert get(api, "/v1/places/search?q=bd carnot cannes") == LOAD | {
        "query": "boulevard carnot cannes",
        "items": [
            # Exact: the street's name followed by its commune's.
            hit("street", "06029_0460", "Boulevard Carnot", "Cannes",
                "Street in Cannes — 3 buildings", 1.0),
            # The same name in another commune: a near spelling of the query.
            hit("street", "06030_0120", "Boulevard Carnot", "Le Cannet",
                "Street in Le Cannet — 1 building", 0.773),
        ],  # no address without a house number
    }  # fmt: skip


def test_the_commune_may_come_first(api: Api) -> None:
    found = get(api, "/v1/places/search?q=cannes, bd carnot")
    assert [(h["code"], h["score"]) for h in found["items"]] == [
        ("06029_0460", 1.0),  # the same trigrams as "boulevard carnot cannes"
        ("06030_0120", 0.773),
    ]


def test_a_house_number_finds_the_address_on_its_street(api: Api) -> None:
    assert get(api, "/v1/places/search?q=12 bd carnot cannes") == LOAD | {
        "query": "12 boulevard carnot cannes",
        "items": [
            hit("address", "06029_0460_00012", "12 Boulevard Carnot", "Cannes",
                "Address in Cannes — 54 dwellings, DPE label D", 1.0),
            # 2 DPE only: its label would be those two dwellings' own, so it is left out.
            hit("address", "06029_0460_00012_bis", "12 bis Boulevard Carnot", "Cannes",
                "Address in Cannes — 11 dwellings", 0.893),
            hit("street", "06029_0460", "Boulevard Carnot", "Cannes",
                "Street in Cannes — 3 buildings", 0.88),
            # Le Cannet's boulevard has a number 5, not 12: only the street.
            hit("street", "06030_0120", "Boulevard Carnot", "Le Cannet",
                "Street in Le Cannet — 1 building", 0.68),
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("q", "first", "second"),
    [("12 bd carnot", "06029_0460_00012", "06029_0460_00012_bis"),
     ("12 bis bd carnot", "06029_0460_00012_bis", "06029_0460_00012")],
)  # fmt: skip
def test_the_repetition_index_picks_the_address(api: Api, q: str, first: str, second: str) -> None:
    found = get(api, f"/v1/places/search?q={q}")
    assert [h["code"] for h in found["items"]] == [first, second, "06029_0460", "06030_0120"]


def test_exact_then_word_then_near_spelling(api: Api) -> None:
    assert get(api, "/v1/places/search?q=cannes") == LOAD | {
        "query": "cannes",
        "items": [
            hit("commune", "06029", "Cannes", "Cannes",
                "Commune, 06 — 1,234 dwellings metered by Enedis", 1.0),
            hit("commune", "77059", "Cannes-Écluse", "Cannes-Écluse",
                "Commune, 77 — no address published by Enedis", 0.5),
            # Hold "cannes" as a word: "Le Cannet" (a street of Cannes), "Avenue de Cannes".
            hit("street", "06029_0700", "Le Cannet", "Cannes",
                "Street in Cannes — 1 building", 0.583),
            hit("street", "06030_0300", "Avenue de Cannes", "Le Cannet",
                "Street in Le Cannet — 1 building", 0.412),
            # Only a near spelling: last, though more similar than Avenue de Cannes.
            hit("commune", "06030", "Le Cannet", "Le Cannet",
                "Commune, 06 — 28 dwellings metered by Enedis", 0.417),
        ],
    }  # fmt: skip


def test_names_starting_with_the_query_come_before_names_holding_it(api: Api) -> None:
    found = get(api, "/v1/places/search?q=canne")
    assert [(h["code"], h["score"]) for h in found["items"]] == [
        ("06029", 0.625),  # Cannes and Cannes-Écluse start with "canne"…
        ("77059", 0.333),
        ("06030", 0.455),  # …Le Cannet only has a word starting with it, though closer
        ("06029_0700", 0.455),
        ("06030_0300", 0.278),
    ]


def test_the_limit_keeps_the_best_hits(api: Api) -> None:
    found = get(api, "/v1/places/search?q=cannes&limit=2")
    assert [(h["code"], h["score"]) for h in found["items"]] == [("06029", 1.0), ("77059", 0.5)]


def test_nothing_found_is_an_empty_list(api: Api) -> None:
    assert get(api, "/v1/places/search?q=zzzz") == LOAD | {"query": "zzzz", "items": []}


@pytest.mark.parametrize("q", ["--", "a.", "Ω Σ", "  a  "])
def test_fewer_than_two_letters_or_digits_find_nothing(api: Api, q: str) -> None:
    assert get(api, f"/v1/places/search?q={q}") == LOAD | {"query": "", "items": []}


def schema_problem(loc: list[str], msg: str, kind: str) -> dict[str, Any]:
    return {
        "type": "https://volt.example/problems/invalid-request",
        "title": "Invalid request",
        "status": 422,
        "detail": "The request does not match the API's schema.",
        "errors": [{"loc": loc, "msg": msg, "type": kind}],
    }


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("/v1/places/search?q=a", schema_problem(
            ["query", "q"], "String should have at least 2 characters", "string_too_short")),
        (f"/v1/places/search?q={'x' * 101}", schema_problem(
            ["query", "q"], "String should have at most 100 characters", "string_too_long")),
        ("/v1/places/search?q=ab&limit=51", schema_problem(
            ["query", "limit"], "Input should be less than or equal to 50", "less_than_equal")),
        ("/v1/places/search", schema_problem(["query", "q"], "Field required", "missing")),
    ],
)  # fmt: skip
def test_invalid_searches_are_422_problems(api: Api, url: str, problem: dict[str, Any]) -> None:
    client, auth = api
    response = client.get(url, headers=auth)
    assert (response.status_code, response.headers["content-type"]) == (
        422,
        "application/problem+json",
    )
    assert response.json() == problem


# A few thousand rows of random names, so that the planner weighs the indexes as on real data.
FILLER_SQL = """
INSERT INTO communes (code_insee, nom, code_departement)
SELECT (10000 + i)::text, 'Commune ' || md5(i::text), left((10000 + i)::text, 2)
FROM generate_series(1, 3000) AS i;
INSERT INTO areas (level, code, annee, name, parent_code)
SELECT 'street', '10001_' || i, 2023, 'Rue ' || md5(i::text), '10001'
FROM generate_series(1, 5000) AS i;
INSERT INTO buildings (ban_id, annee, code_insee, street_code, numero, nom_voie)
SELECT '10001_' || (i / 5) || '_' || i, 2023, '10001', '10001_' || (i / 5), i::text, 'Rue x'
FROM generate_series(1, 5000) AS i;
-- As after a load (indexes built after COPY): no GIN pending list for the planner to fear.
SELECT gin_clean_pending_list(index::regclass)
FROM unnest(ARRAY['communes_nom_trgm_idx', 'areas_name_trgm_idx']) AS index;
ANALYZE communes, areas, buildings;
"""


def test_search_uses_the_indexes(world: Settings) -> None:
    params = search_params("12 boulevard carnot cannes", 10)
    with connect(world, DbRole.OWNER) as conn:
        conn.execute(FILLER_SQL)
        plan = "\n".join(
            line for (line,) in conn.execute("EXPLAIN " + queries.SEARCH_PLACES_SQL, params)
        )
        conn.rollback()  # the filler and its statistics go
    assert "Seq Scan" not in plan, plan
    # Communes and streets holding all the words, near spellings, and the commune the query
    # names at one end with its streets named by the rest.
    assert plan.count("Bitmap Index Scan on communes_nom_trgm_idx") == 3, plan
    assert plan.count("Bitmap Index Scan on areas_name_trgm_idx") == 3, plan
    assert "buildings_street_idx" in plan  # the addresses of the streets found


def test_search_text_folds_like_the_database() -> None:
    assert search_text("  Bd  Carnot, CANNES ") == "boulevard carnot cannes"
    assert search_text("Place des Œillets") == "place des oeillets"
    assert search_text("L'Haÿ-les-Roses") == "l hay les roses"
    assert search_text("car") == "car"  # not "carrefour": a prefix being typed
    assert search_text("12 r de la paix") == "12 rue de la paix"
    assert search_text("Øster Ærø") == "oster aero"


# --- one commune ----------------------------------------------------------------------------------


def test_a_commune_with_its_latest_counts_and_links_to_its_statistics(api: Api) -> None:
    assert get(api, "/v1/communes/06029") == LOAD | CANNES | {
        "figures": {
            "annee": 2023,  # not 2022
            "counts": counts(4, 1234, 40, *CANNES_2023_COUNTS.values()),
        },
        # No label distribution here: the statistics routes protect it with its neighbours'.
        "links": links("06029", 2023),
    }


def test_the_counts_of_a_commune_are_those_of_the_stats_route(api: Api) -> None:
    """One figure, one answer: comparing two routes gives nothing away. The places route follows
    the statistics route's rules for counts (always published, NULL read as 0)."""
    for code in ("06029", "2A004", "06088"):
        commune = get(api, f"/v1/communes/{code}")
        stats = get(api, f"/v1/stats/commune?code={code}&year={commune['figures']['annee']}")
        assert [(a["code"], a["year"]) for a in stats["items"]] == [(code, 2023)]
        assert commune["figures"]["counts"] == stats["items"][0]["counts"]
        assert get(api, commune["links"]["stats"]) == stats
        for link in ("labels", "dpe_vs_metered"):  # the commune's, for the year of its counts
            linked = get(api, commune["links"][link])
            assert (linked["code"], linked["year"]) == (code, 2023)


def test_a_corsican_commune_with_few_dpe_publishes_its_counts(api: Api) -> None:
    assert get(api, "/v1/communes/2A004") == LOAD | {
        "code_insee": "2A004",
        "nom": "Ajaccio",
        "code_departement": "2A",
        "code_region": "94",
        "code_epci": "242010056",
        "nom_epci": "CA du Pays Ajaccien",
        "lon": 8.7369,
        "lat": 41.9192,
        # 3 DPE: a count, published as GET /v1/stats publishes it (DESIGN §3).
        "figures": {"annee": 2023, "counts": counts(1, 12, 3)},
        "links": links("2A004", 2023),
    }


def test_a_commune_without_enedis_addresses_has_zero_counts_and_no_links(api: Api) -> None:
    body = get(api, "/v1/communes/06004")
    assert (body["figures"], body["links"]) == (
        {"annee": None, "counts": counts(0, 0, 0)},
        NO_LINKS,  # the statistics routes have no row for it: they would answer 404
    )


@pytest.mark.parametrize("code", ["6029", "060290", "2C004", "2a004", "O6029"])
def test_a_malformed_insee_code_is_a_422(api: Api, code: str) -> None:
    client, auth = api
    response = client.get(f"/v1/communes/{code}", headers=auth)
    assert (response.status_code, response.json()) == (
        422,
        schema_problem(
            ["path", "code_insee"],
            "String should match pattern '^([0-9]{5}|2[AB][0-9]{3})$'",
            "string_pattern_mismatch",
        ),
    )


def test_an_unknown_commune_is_a_404(api: Api) -> None:
    client, auth = api
    response = client.get("/v1/communes/06999", headers=auth)
    assert (response.status_code, response.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    assert response.json() == {
        "type": "https://volt.example/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No commune with INSEE code 06999.",
        "hint": "Find its code with GET /v1/places/search?q=<name>.",
    }


# --- communes by département --------------------------------------------------------------------


def listed(code: str, annee: int | None, counted: dict[str, int]) -> Any:
    identity = {c[0]: dict(zip(IDENTITY, c, strict=True)) for c in COMMUNES}[code]
    return identity | {
        "figures": {"annee": annee, "counts": counted},
        "links": NO_LINKS if annee is None else links(code, annee),
    }


def test_a_communes_page_built_without_models_is_byte_for_byte_what_its_model_gives(
    api: Api,
) -> None:
    """The page is built as plain JSON values (volt.api.data.Prebuilt): validated into
    CommunePage and dumped again, it must give the same bytes (fields, order, types)."""
    client, auth = api
    for url in ("/v1/communes?departement=06", "/v1/communes?departement=971", "/v1/communes"):
        body = client.get(url, headers=auth).content
        assert CommunePage.model_validate_json(body).model_dump_json().encode() == body


def test_communes_of_a_departement_page_by_page(api: Api) -> None:
    first = get(api, "/v1/communes?departement=06&limit=2")
    assert first == LOAD | {
        "items": [
            listed("06004", None, counts(0, 0, 0)),
            listed("06029", 2023, counts(4, 1234, 40, *CANNES_2023_COUNTS.values())),
        ],
        "next": "06029",
    }
    assert get(api, "/v1/communes?departement=06&limit=2&after=06029") == LOAD | {
        "items": [
            listed("06030", 2023, counts(2, 28, 12)),
            listed("06088", 2023, counts(1, 10, 0)),
        ],
        "next": None,
    }


def test_all_communes_in_code_order_without_a_departement(api: Api) -> None:
    codes = [
        [c["code_insee"] for c in get(api, f"/v1/communes?limit=4{after}")["items"]]
        for after in ("", "&after=06088")
    ]
    assert codes == [["06004", "06029", "06030", "06088"], ["2A004", "42218", "77059"]]
    assert get(api, "/v1/communes?departement=2A")["items"] == [
        listed("2A004", 2023, counts(1, 12, 3))
    ]
    assert get(api, "/v1/communes?departement=971") == LOAD | {"items": [], "next": None}


@pytest.mark.parametrize(
    ("query", "loc", "msg", "kind"),
    [
        ("departement=20", "departement", PATTERN_MSG.format(DEP), "string_pattern_mismatch"),
        ("departement=6", "departement", PATTERN_MSG.format(DEP), "string_pattern_mismatch"),
        ("departement=2a", "departement", PATTERN_MSG.format(DEP), "string_pattern_mismatch"),
        ("departement=96", "departement", PATTERN_MSG.format(DEP), "string_pattern_mismatch"),
        ("after=6029", "after", PATTERN_MSG.format(INSEE), "string_pattern_mismatch"),
        ("limit=501", "limit", "Input should be less than or equal to 500", "less_than_equal"),
        ("limit=0", "limit", "Input should be greater than or equal to 1", "greater_than_equal"),
    ],
)  # fmt: skip
def test_invalid_list_parameters_are_422_problems(
    api: Api, query: str, loc: str, msg: str, kind: str
) -> None:
    client, auth = api
    response = client.get(f"/v1/communes?{query}", headers=auth)
    assert (response.status_code, response.json()) == (
        422,
        schema_problem(["query", loc], msg, kind),
    )


def test_communes_export_as_csv(api: Api) -> None:
    client, auth = api
    response = client.get("/v1/communes?departement=06&limit=2&format=csv", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="communes-06-v1-places-wo.csv"'
    )
    counted = ",".join(f"figures.counts.{name}" for name in COUNT_NAMES)
    linked = "links.stats,links.labels,links.dpe_vs_metered"
    assert response.text == (
        f"code_insee,nom,code_departement,code_region,code_epci,nom_epci,lon,lat,figures.annee,"
        f"{counted},{linked}\n"
        "06004,Antibes,06,93,240600585,CA Sophia Antipolis,7.1075,43.5804,,0,0,0,0,0,0,0,,,\n"
        "06029,Cannes,06,93,200039915,CA Cannes Pays de Lérins,7.0128,43.5513,2023,"
        "4,1234,40,38,2,610,9,"
        "/v1/stats/commune?code=06029&year=2023,/v1/stats/commune/06029/labels?year=2023,"
        "/v1/stats/commune/06029/dpe-vs-metered?year=2023\n"
    )


# --- access and caching ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/v1/places/search?q=cannes", "/v1/communes/06029", "/v1/communes?departement=06"]
)
def test_every_place_route_needs_a_token(api: Api, url: str) -> None:
    client, _ = api
    assert_refused(client.get(url), 401, "This route needs a bearer token.")


def rename(settings: Settings, code: str, nom: str) -> None:
    with connect(settings, DbRole.OWNER) as conn:
        conn.execute("UPDATE communes SET nom = %s WHERE code_insee = %s", (nom, code))


def test_answers_are_cached_until_a_new_load(
    world: Settings, cache_backend: dict[str, Any]
) -> None:
    prefix = {"cache_prefix": f"t{secrets.token_hex(6)}"}
    settings = load_settings(**(world.model_dump() | cache_backend | prefix))
    with open_client(settings) as client:
        auth = reader_token(settings)
        first = client.get("/v1/communes/06088", headers=auth)
        assert first.json()["nom"] == "Nice"
        rename(world, "06088", "Nizza")  # under the cache's feet, same data_version
        try:
            again = client.get("/v1/communes/06088", headers=auth)
            assert (again.content, again.headers["etag"]) == (first.content, first.headers["etag"])
            publish(world, "v2-places-world")
            app_of(client).state.volt.memo.clear()  # else the load is re-read within 2 s
            new = client.get("/v1/communes/06088", headers=auth)
            assert (new.json()["nom"], new.json()["data_version"]) == ("Nizza", "v2-places-world")
            assert new.headers["etag"] != first.headers["etag"]
        finally:
            rename(world, "06088", "Nice")
            publish(world, VERSION)


def test_the_counts_do_not_depend_on_the_privacy_settings(world: Settings) -> None:
    settings = load_settings(**(world.model_dump() | {"privacy_min_dpe": 50}))
    with open_client(settings) as client:
        body = client.get("/v1/communes/06029", headers=reader_token(settings)).json()
    # 40 DPE, under 50: a count all the same, published as GET /v1/stats publishes it.
    assert body["figures"]["counts"] == counts(4, 1234, 40, *CANNES_2023_COUNTS.values())
