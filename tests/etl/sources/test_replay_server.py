"""The replay server answers like the real hosts (wire shapes, paging, filters), injects faults."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.etl.sources.replay_worlds import FIXTURES, make_real_world, make_sample_world
from volt.cli.main import app as cli_app
from volt.etl.sources.replay import ReplayServer, World, max_in_window

ENEDIS = "/data-fair/api/v1/datasets/consommation-annuelle-residentielle-par-adresse"
DPE = "/data-fair/api/v1/datasets/dpe03existant"
DPE_LEGACY = "/data-fair/api/v1/datasets/dpe-v2-logements-existants"
CANNES_ROWS = 81  # tests/fixtures/real/cannes-enedis-2022.csv
CANNES_DPE, LOZERE_DPE, LOZERE_NO_DEP = 46, 150, 1  # DPE rows per département in the real extracts


@pytest.fixture(scope="module")
def real_world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_real_world(tmp_path_factory.mktemp("real-world"))


@pytest.fixture(scope="module")
def sample_world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_world(tmp_path_factory.mktemp("sample-world"))


@pytest.fixture
def server(real_world_dir: Path) -> Iterator[ReplayServer]:
    """A fresh server per test (fresh world, no faults, empty log): updates don't leak."""
    with ReplayServer(World.load(real_world_dir)) as replay:
        yield replay


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as http:
        yield http


def follow(client: httpx.Client, url: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every row of a data-fair query by following `next`; returns (rows, requests made)."""
    answer = client.get(url, params=params).json()
    rows, requests = list(answer["results"]), 1
    while "next" in answer:
        answer = client.get(answer["next"]).json()
        rows.extend(answer["results"])
        requests += 1
    return rows, requests


def cannes_file_rows() -> list[dict[str, str]]:
    with (FIXTURES / "cannes-enedis-2022.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


# -- data-fair /lines -------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "pages"), [(1, 81), (7, 12), (80, 2), (81, 1), (10_000, 1)])
def test_lines_paging_gives_every_row_once_in_order(
    server: ReplayServer, client: httpx.Client, size: int, pages: int
) -> None:
    rows, requests = follow(client, server.url + ENEDIS + "/lines", size=size)
    assert requests == pages
    assert [r["_i"] for r in rows] == list(range(1, CANNES_ROWS + 1))
    assert [r["tri_des_adresses"] for r in rows] == [
        int(r["tri_des_adresses"]) for r in cannes_file_rows()
    ]


def test_lines_paging_after_a_filter_skips_other_rows(
    server: ReplayServer, client: httpx.Client
) -> None:
    rows, requests = follow(
        client, server.url + DPE + "/lines", size=40, code_departement_ban_eq="48"
    )
    assert (len(rows), requests) == (LOZERE_DPE, 4)
    # The Cannes JSON lines come first in the table (file order), so Lozère starts at _i 47.
    assert [r["_i"] for r in rows][:2] == [CANNES_DPE + 1, CANNES_DPE + 2]
    assert {r["code_departement_ban"] for r in rows} == {"48"}


def test_lines_total_and_next(server: ReplayServer, client: httpx.Client) -> None:
    first = client.get(server.url + ENEDIS + "/lines", params={"size": 50}).json()
    assert first["total"] == CANNES_ROWS
    assert first["next"] == f"{server.url}{ENEDIS}/lines?size=50&after=50"
    last = client.get(first["next"]).json()
    assert (last["total"], len(last["results"]), "next" in last) == (CANNES_ROWS, 31, False)


def test_next_uses_the_host_the_client_used(server: ReplayServer, client: httpx.Client) -> None:
    url = f"http://localhost:{server.port}{ENEDIS}/lines"
    answer = client.get(url, params={"size": 10}).json()
    assert answer["next"] == f"http://localhost:{server.port}{ENEDIS}/lines?size=10&after=10"


def test_size_zero_gives_the_total_only(server: ReplayServer, client: httpx.Client) -> None:
    answer = client.get(server.url + DPE + "/lines", params={"size": 0}).json()
    assert answer == {"total": CANNES_DPE + LOZERE_DPE + LOZERE_NO_DEP, "results": []}


def test_size_above_ten_thousand_is_refused(server: ReplayServer, client: httpx.Client) -> None:
    assert client.get(server.url + DPE + "/lines", params={"size": 10_001}).status_code == 400


def test_lines_filters_eq_and_in(server: ReplayServer, client: httpx.Client) -> None:
    url = server.url + DPE + "/lines"
    totals = {
        "06": client.get(url, params={"size": 0, "code_departement_ban_eq": "06"}).json()["total"],
        "06,48": client.get(url, params={"size": 0, "code_departement_ban_in": "06,48"}).json()[
            "total"
        ],
        "06032": client.get(
            url, params={"size": 0, "code_departement_ban_eq": "06", "code_insee_ban_eq": "06032"}
        ).json()["total"],
    }
    assert totals == {"06": CANNES_DPE, "06,48": CANNES_DPE + LOZERE_DPE, "06032": 6}


def test_ban_id_list_filter(server: ReplayServer, client: httpx.Client) -> None:
    # Several DPE per address: the six DPE of 13 rue Lacour, in file order.
    answer = client.get(
        server.url + DPE_LEGACY + "/lines",
        params={"Identifiant__BAN_in": "06029_1900_00013,nope", "select": "N°DPE"},
    ).json()
    assert [r["N°DPE"] for r in answer["results"]] == [
        "2406E0233210Z", "2306E3950638Y", "2306E0555114W", "2106E0919504U", "2206E1271075U",
        "2206E2048168Z",
    ]  # fmt: skip


def test_unknown_filter_field_is_refused(server: ReplayServer, client: httpx.Client) -> None:
    # The legacy dataset has no snake_case keys: a filter in the wrong spelling must not pass.
    response = client.get(
        server.url + DPE_LEGACY + "/lines", params={"code_departement_ban_eq": "06"}
    )
    assert response.status_code == 400


def test_select_returns_only_the_selected_fields(
    server: ReplayServer, client: httpx.Client
) -> None:
    answer = client.get(
        server.url + DPE + "/lines", params={"size": 1, "select": "numero_dpe,etiquette_dpe"}
    ).json()
    assert answer["results"][0].keys() == {
        "numero_dpe", "etiquette_dpe", "_i", "_id", "_rand", "_score"
    }  # fmt: skip
    assert (answer["results"][0]["numero_dpe"], answer["results"][0]["_i"]) == ("2406E0233210Z", 1)


def test_data_fair_enedis_spells_ladresse(server: ReplayServer, client: httpx.Client) -> None:
    row = client.get(server.url + ENEDIS + "/lines", params={"size": 1}).json()["results"][0]
    assert row["consommation_annuelle_totale_de_ladresse_mwh"] == 70.96
    assert row["consommation_annuelle_moyenne_par_site_de_ladresse_mwh"] == 1.183
    assert "consommation_annuelle_totale_de_l_adresse_mwh" not in row


def test_codes_keep_leading_zeros_and_numbers_are_numbers(
    server: ReplayServer, client: httpx.Client
) -> None:
    row = client.get(server.url + ENEDIS + "/lines", params={"size": 1}).json()["results"][0]
    picked = {k: row[k] for k in ("code_commune", "code_iris", "code_departement", "annee")}
    assert picked == {
        "code_commune": "06029", "code_iris": "060290102", "code_departement": "06", "annee": 2022
    }  # fmt: skip
    assert (row["nombre_de_logements"], row["numero_de_voie"]) == (60, "13")


def test_legacy_dataset_serves_the_same_rows_under_legacy_keys(
    server: ReplayServer, client: httpx.Client
) -> None:
    current, _ = follow(client, server.url + DPE + "/lines", size=10_000)
    legacy, _ = follow(client, server.url + DPE_LEGACY + "/lines", size=10_000)
    assert [r["numero_dpe"] for r in current] == [r["N°DPE"] for r in legacy]
    assert [r["etiquette_dpe"] for r in current] == [r["Etiquette_DPE"] for r in legacy]
    assert legacy[0]["Conso_5_usages/m²_é_finale"] == current[0]["conso_5_usages_par_m2_ef"]


def test_null_fields_are_omitted_like_data_fair(server: ReplayServer, client: httpx.Client) -> None:
    rows, _ = follow(client, server.url + DPE + "/lines", size=10_000)
    without_dep = [r for r in rows if "code_departement_ban" not in r]
    assert len(without_dep) == LOZERE_NO_DEP


def test_dataset_metadata(server: ReplayServer, client: httpx.Client) -> None:
    meta = client.get(server.url + ENEDIS).json()
    assert (meta["id"], meta["count"], meta["dataUpdatedAt"]) == (
        "consommation-annuelle-residentielle-par-adresse", CANNES_ROWS, "2025-01-06T03:00:00.000Z"
    )  # fmt: skip


def test_world_json_sets_dataset_dates(tmp_path: Path, client: httpx.Client) -> None:
    root = make_real_world(tmp_path)
    meta = {"datasets": {"dpe03existant": {"dataUpdatedAt": "2025-03-01T10:00:00.000Z"}}}
    (root / "world.json").write_text(json.dumps(meta), "utf-8")
    with ReplayServer(root) as replay:
        assert client.get(replay.url + DPE).json()["dataUpdatedAt"] == "2025-03-01T10:00:00.000Z"
        assert client.get(replay.url + DPE_LEGACY).json()["count"] == 197


def test_world_update_changes_rows_and_metadata(server: ReplayServer, client: httpx.Client) -> None:
    rows = server.world.rows("dpe-v2-logements-existants")[:3]
    server.world.update("dpe03existant", rows=rows, data_updated_at="2025-02-01T00:00:00.000Z")
    meta = client.get(server.url + DPE_LEGACY).json()
    assert (meta["count"], meta["dataUpdatedAt"]) == (3, "2025-02-01T00:00:00.000Z")
    answer = client.get(server.url + DPE_LEGACY + "/lines", params={"select": "N°DPE"}).json()
    assert answer["total"] == 3


def test_unknown_dataset_is_404(server: ReplayServer, client: httpx.Client) -> None:
    assert client.get(server.url + "/data-fair/api/v1/datasets/nope/lines").status_code == 404


# -- faults -----------------------------------------------------------------------------------


def test_status_fault_429_with_retry_after_seconds(
    server: ReplayServer, client: httpx.Client
) -> None:
    rule = server.faults.add("/lines", "status", status=429, retry_after=2)
    first = client.get(server.url + DPE + "/lines")
    second = client.get(server.url + DPE + "/lines")
    assert (first.status_code, first.headers["Retry-After"]) == (429, "2")
    assert first.json() == {"status": 429, "error": "Too Many Requests"}
    assert (second.status_code, rule.fired, rule.seen) == (200, 1, 2)


def test_status_fault_retry_after_http_date(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.add(
        "/lines", "status", status=429, retry_after=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    response = client.get(server.url + DPE + "/lines")
    assert response.headers["Retry-After"] == "Fri, 02 Jan 2026 03:04:05 GMT"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_status_fault_5xx_after_n_requests(
    server: ReplayServer, client: httpx.Client, status: int
) -> None:
    server.faults.add("/lines", "status", status=status, times=2, after=1)
    codes = [client.get(server.url + DPE + "/lines").status_code for _ in range(4)]
    assert codes == [200, status, status, 200]


def test_fault_pattern_sees_the_query(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.add(r"after=40\b", "status", status=503)
    codes = [
        client.get(server.url + DPE + "/lines", params={"size": 10, "after": after}).status_code
        for after in (30, 40, 41)
    ]
    assert codes == [200, 503, 200]


def test_delay_fault_triggers_a_client_timeout(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.add("/lines", "delay", seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get(server.url + DPE + "/lines", timeout=0.2)
    assert client.get(server.url + DPE + "/lines", timeout=2).status_code == 200


def test_truncate_fault_is_a_protocol_error(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.add("/lines", "truncate")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(server.url + DPE + "/lines", params={"size": 100})
    entry = server.log.entries()[-1]
    full = len(client.get(server.url + DPE + "/lines", params={"size": 100}).content)
    assert (entry.faults, entry.bytes) == (("truncate",), full // 2)


def test_reset_fault_is_a_connection_reset(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.add("/lines", "reset")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.get(server.url + DPE + "/lines", params={"size": 100})
    assert client.get(server.url + DPE + "/lines").status_code == 200


def test_total_change_fault_reports_another_total(
    server: ReplayServer, client: httpx.Client
) -> None:
    server.faults.add("after=", "total_change", delta=1)
    first = client.get(server.url + ENEDIS + "/lines", params={"size": 50}).json()
    second = client.get(first["next"]).json()
    assert (first["total"], second["total"]) == (CANNES_ROWS, CANNES_ROWS + 1)


def test_empty_page_fault_has_no_results_and_no_next(
    server: ReplayServer, client: httpx.Client
) -> None:
    server.faults.add("/lines", "empty_page", after=1)
    first = client.get(server.url + ENEDIS + "/lines", params={"size": 50}).json()
    second = client.get(first["next"]).json()
    assert second == {"total": CANNES_ROWS, "results": []}


def test_latency_setting_slows_every_answer(server: ReplayServer, client: httpx.Client) -> None:
    server.latency_s = 0.2
    started = time.monotonic()
    client.get(server.url + ENEDIS)
    assert time.monotonic() - started >= 0.2


def test_two_servers_have_their_own_faults(
    real_world_dir: Path, server: ReplayServer, client: httpx.Client
) -> None:
    with ReplayServer(server.world) as other:
        server.faults.add("", "status", status=503, times=None)
        assert client.get(server.url + ENEDIS).status_code == 503
        assert client.get(other.url + ENEDIS).status_code == 200
        assert (server.log.count(), other.log.count()) == (1, 1)


# -- request log ------------------------------------------------------------------------------


def test_request_log_records_each_request(server: ReplayServer, client: httpx.Client) -> None:
    body = client.get(server.url + ENEDIS + "/lines", params={"size": 2}).content
    client.head(server.url + ENEDIS)
    entries = server.log.entries()
    assert [(e.method, e.target, e.status, e.bytes) for e in entries] == [
        ("GET", ENEDIS + "/lines?size=2", 200, len(body)),
        ("HEAD", ENEDIS, 200, 0),
    ]
    assert server.log.count(ENEDIS + "/lines") == 1


def test_max_in_window_counts_the_densest_window() -> None:
    times = [0.0, 0.1, 0.2, 1.05, 1.1, 1.15, 1.2, 3.0]
    assert max_in_window(times, 1.0) == 4  # 1.05 … 1.2 (0.2 → 1.2 is exactly 1 s: not inside)
    assert max_in_window(times, 1.01) == 5  # 0.2 … 1.2
    assert max_in_window(times, 0.01) == 1
    assert max_in_window([], 1.0) == 0


def test_log_window_by_path_prefix(server: ReplayServer, client: httpx.Client) -> None:
    for _ in range(3):
        client.get(server.url + DPE + "/lines", params={"size": 0})
    client.get(server.url + ENEDIS)
    assert server.log.max_in_window(60.0, prefix=DPE) == 3
    assert server.log.max_in_window(60.0) == 4


# -- Explore v2.1 -----------------------------------------------------------------------------

EXPLORE = "/api/explore/v2.1/catalog/datasets/consommation-annuelle-residentielle-par-adresse"
CANNES_06 = 58  # rows of département 06 in the Cannes extract (the rest: 76, 40, 59)
WHERE_06 = "annee=date'2022' and code_departement='06'"


def test_explore_catalog_metadata(server: ReplayServer, client: httpx.Client) -> None:
    meta = client.get(server.url + EXPLORE).json()
    assert meta["dataset_id"] == "consommation-annuelle-residentielle-par-adresse"
    assert meta["metas"]["default"]["records_count"] == CANNES_ROWS
    assert meta["metas"]["default"]["data_processed"] == "2025-01-06T03:00:00.000Z"


@pytest.mark.parametrize(
    ("where", "total"),
    [
        (WHERE_06, CANNES_06),
        ("annee=date'2022' and code_departement=\"06\"", CANNES_06),
        ("code_departement='76' AND annee=2022", 19),
        ("annee=date'2023'", 0),
        ("", CANNES_ROWS),
    ],
)
def test_explore_where(server: ReplayServer, client: httpx.Client, where: str, total: int) -> None:
    answer = client.get(
        server.url + EXPLORE + "/records", params={"where": where, "limit": 0}
    ).json()
    assert answer == {"total_count": total, "results": []}


def test_explore_where_refuses_what_it_cannot_parse(
    server: ReplayServer, client: httpx.Client
) -> None:
    response = client.get(server.url + EXPLORE + "/records", params={"where": "annee > 2020"})
    assert (response.status_code, response.json()["error_code"]) == (400, "ODSQLError")


def test_explore_records_paging_matches_the_export(
    server: ReplayServer, client: httpx.Client
) -> None:
    records: list[dict[str, Any]] = []
    for offset in range(0, 100, 20):
        answer = client.get(
            server.url + EXPLORE + "/records",
            params={"where": WHERE_06, "limit": 20, "offset": offset},
        ).json()
        records.extend(answer["results"])
    assert len(records) == CANNES_06
    assert records[0]["annee"] == "2022"  # a date field in ODS, printed as the year
    assert records[0]["consommation_annuelle_totale_de_l_adresse_mwh"] == 70.96
    assert records[0]["indice_de_repetition"] is None
    export = client.get(server.url + EXPLORE + "/exports/csv", params={"where": WHERE_06})
    exported = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["tri_des_adresses"] for r in exported] == [
        str(r["tri_des_adresses"]) for r in records
    ]


@pytest.mark.parametrize(
    ("offset", "limit", "status"), [(9_900, 100, 200), (9_901, 100, 400), (0, 101, 400)]
)
def test_explore_records_window_error(
    server: ReplayServer, client: httpx.Client, offset: int, limit: int, status: int
) -> None:
    response = client.get(
        server.url + EXPLORE + "/records", params={"offset": offset, "limit": limit}
    )
    assert response.status_code == status
    if status == 400:
        assert response.json()["error_code"] == "InvalidRESTParameterError"


def test_explore_export_is_the_portal_file_with_a_bom(
    server: ReplayServer, client: httpx.Client
) -> None:
    export = client.get(server.url + EXPLORE + "/exports/csv", params={"delimiter": ";"})
    original = (FIXTURES / "cannes-enedis-2022.csv").read_bytes()
    assert export.content == b"\xef\xbb\xbf" + original
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_explore_only_serves_enedis(server: ReplayServer, client: httpx.Client) -> None:
    url = server.url + "/api/explore/v2.1/catalog/datasets/dpe03existant/records"
    assert client.get(url).status_code == 404


# -- BAN national files -----------------------------------------------------------------------

BAN_48 = "/data/ban/adresses/latest/csv/adresses-48.csv.gz"


def test_ban_file_is_the_gzipped_national_file(server: ReplayServer, client: httpx.Client) -> None:
    response = client.get(server.url + BAN_48)
    assert response.status_code == 200
    assert gzip.decompress(response.content) == (FIXTURES / "adresses-48.csv").read_bytes()
    assert response.headers["Last-Modified"] == "Mon, 06 Jan 2025 03:00:00 GMT"


def test_ban_etag_is_a_stable_content_hash(real_world_dir: Path, client: httpx.Client) -> None:
    with ReplayServer(real_world_dir) as one, ReplayServer(real_world_dir) as two:
        tags = {client.head(s.url + BAN_48).headers["ETag"] for s in (one, two)}
    assert len(tags) == 1


def test_ban_if_none_match_gives_304(server: ReplayServer, client: httpx.Client) -> None:
    etag = client.head(server.url + BAN_48).headers["ETag"]
    same = client.get(server.url + BAN_48, headers={"If-None-Match": etag})
    other = client.get(server.url + BAN_48, headers={"If-None-Match": '"stale"'})
    assert (same.status_code, same.content, same.headers["ETag"]) == (304, b"", etag)
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("since", "status"),
    [("Mon, 06 Jan 2025 03:00:00 GMT", 304), ("Sun, 05 Jan 2025 03:00:00 GMT", 200)],
)
def test_ban_if_modified_since(
    server: ReplayServer, client: httpx.Client, since: str, status: int
) -> None:
    assert (
        client.get(server.url + BAN_48, headers={"If-Modified-Since": since}).status_code == status
    )


def test_ban_head_gives_headers_only(server: ReplayServer, client: httpx.Client) -> None:
    head = client.head(server.url + BAN_48)
    size = len(client.get(server.url + BAN_48).content)
    assert (head.status_code, head.content, int(head.headers["Content-Length"])) == (200, b"", size)


def test_ban_update_changes_the_validators(server: ReplayServer, client: httpx.Client) -> None:
    before = client.head(server.url + BAN_48).headers
    new_date = datetime(2025, 6, 1, tzinfo=UTC)
    server.world.update_ban("48", csv_bytes=b"id;numero\n", last_modified=new_date)
    after = client.get(server.url + BAN_48, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after.headers["Last-Modified"] == "Sun, 01 Jun 2025 00:00:00 GMT"
    assert gzip.decompress(after.content) == b"id;numero\n"


def test_ban_unknown_departement_is_404(server: ReplayServer, client: httpx.Client) -> None:
    url = server.url + "/data/ban/adresses/latest/csv/adresses-75.csv.gz"
    assert client.get(url).status_code == 404


# -- BAN geocoder -----------------------------------------------------------------------------

RESULT_COLUMNS = [
    "latitude", "longitude", "result_label", "result_score", "result_score_next", "result_type",
    "result_id", "result_housenumber", "result_name", "result_street", "result_postcode",
    "result_city", "result_context", "result_citycode", "result_oldcitycode", "result_oldcity",
    "result_district", "result_status",
]  # fmt: skip


@pytest.fixture
def sample_server(sample_world_dir: Path) -> Iterator[ReplayServer]:
    with ReplayServer(World.load(sample_world_dir)) as replay:
        yield replay


def search_csv(
    client: httpx.Client, url: str, body: str, **form: str | list[str]
) -> tuple[int, list[list[str]]]:
    response = client.post(
        url + "/search/csv", files={"data": ("in.csv", body.encode())}, data=form
    )
    if response.status_code != 200:
        return response.status_code, []
    delimiter = ";" if ";" in body.split("\n", 1)[0] else ","
    return 200, list(csv.reader(io.StringIO(response.text), delimiter=delimiter))


def test_search_csv_answer_layout(sample_server: ReplayServer, client: httpx.Client) -> None:
    body = "adresse;code_commune\n2 RUE DES LILAS;2A004\n"
    status, rows = search_csv(
        client, sample_server.url, body, columns="adresse", citycode="code_commune"
    )
    assert status == 200
    assert rows[0] == ["adresse", "code_commune", *RESULT_COLUMNS]
    answer = dict(zip(rows[0], rows[1], strict=True))
    assert {k: answer[k] for k in ("adresse", "code_commune", "result_label", "result_id")} == {
        "adresse": "2 RUE DES LILAS",
        "code_commune": "2A004",
        "result_label": "2 Rue des Lilas 20000 Ajaccio",
        "result_id": "2A004_0270_00002",
    }
    assert (answer["latitude"], answer["longitude"]) == ("41.919185", "8.754828")
    assert (answer["result_type"], answer["result_score"], answer["result_status"]) == (
        "housenumber", "0.95", "ok"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("query", "citycode", "expected"),
    [
        # Trap: Enedis abbreviations and apostrophes (`RTE D ESPAGNE` = `Route d'Espagne`).
        ("1 RTE D ESPAGNE", "2A004", ("ok", "housenumber", "2A004_0140_00001", "0.95", "")),
        # Trap: repetition indices (`6 B` = `6 bis`, `4A` = `4 a`) and the Œ ligature.
        (
            "6 B RUE DES OEILLETS",
            "2A004",
            ("ok", "housenumber", "2A004_0310_00006_bis", "0.95", ""),
        ),
        ("4A RUE DES ŒILLETS", "2A004", ("ok", "housenumber", "2A004_0310_00004_a", "0.95", "")),
        # A number the street does not have: the street itself, below any sensible threshold.
        ("1 RUE DES LILAS", "2A004", ("ok", "street", "2A004_0270", "0.75", "0.725")),
        ("5 RUE INCONNUE", "2A004", ("not-found", "", "", "", "")),
        # Misspelt and glued street names still find their street.
        ("31 PLACE DES ANNEURS", "06029", ("ok", "housenumber", "06029_0410_00031", "0.935", "")),
        ("55 CHEMIN GEORGESAND", "06029", ("ok", "housenumber", "06029_0060_00055", "0.95", "")),
        # The same address in two communes, no commune filter: a tie (no margin).
        ("4 ALLEE CARNOT", "", ("ok", "housenumber", "06029_0040_00004", "0.95", "0.95")),
    ],
)
def test_search_csv_matcher(
    sample_server: ReplayServer,
    client: httpx.Client,
    query: str,
    citycode: str,
    expected: tuple[str, ...],
) -> None:
    form: dict[str, str | list[str]] = {"columns": "adresse"}
    if citycode:
        form["citycode"] = "code_commune"
    body = f"adresse;code_commune\n{query};{citycode}\n"
    _, rows = search_csv(client, sample_server.url, body, **form)
    answer = dict(zip(rows[0], rows[1], strict=True))
    got = tuple(
        answer[k]
        for k in ("result_status", "result_type", "result_id", "result_score", "result_score_next")
    )
    assert got == expected


def test_search_csv_plm_citycode_is_the_arrondissement(
    sample_server: ReplayServer, client: httpx.Client
) -> None:
    # Trap: Enedis writes Lyon's whole-city code (69123); BAN addresses carry the arrondissement.
    body = "adresse;code_commune\n2 TRAVERSE CARNOT;69123\n"
    _, filtered = search_csv(
        client, sample_server.url, body, columns="adresse", citycode="code_commune"
    )
    _, unfiltered = search_csv(client, sample_server.url, body, columns="adresse")
    assert filtered[1][-1] == "not-found"
    answer = dict(zip(unfiltered[0], unfiltered[1], strict=True))
    assert (answer["result_citycode"], answer["result_city"], answer["result_district"]) == (
        "69383", "Lyon", "Lyon 3e Arrondissement"
    )  # fmt: skip


def test_search_csv_replays_recorded_answers(server: ReplayServer, client: httpx.Client) -> None:
    body = (
        "adresse,code_commune,nom_commune\n13 RUE LACOUR,06029,Cannes\n99 RUE NULLE,06029,Cannes\n"
    )
    _, rows = search_csv(client, server.url, body, columns="adresse", citycode="code_commune")
    recorded = dict(zip(rows[0], rows[1], strict=True))
    assert recorded["result_label"] == "13 RUE LACOUR 06400 CANNES"
    assert (recorded["result_score"], recorded["result_score_next"]) == ("0.6800990909090909", "")
    assert recorded["result_context"] == "06, Alpes-Maritimes, Provence-Alpes-Côte d'Azur"
    assert rows[2][-1] == "not-found"  # no BAN file for 06 in this world


def test_search_csv_statuses_and_result_columns(
    sample_server: ReplayServer, client: httpx.Client
) -> None:
    body = "numero,voie,cp\n2,RUE DES LILAS,20000\n,,20000\n9,RUE INCONNUE,20000\n"
    _, rows = search_csv(
        client,
        sample_server.url,
        body,
        columns=["numero", "voie"],
        postcode="cp",
        result_columns=["result_id", "result_status"],
    )
    assert rows == [
        ["numero", "voie", "cp", "result_id", "result_status"],
        ["2", "RUE DES LILAS", "20000", "2A004_0270_00002", "ok"],
        ["", "", "20000", "", "skipped"],
        ["9", "RUE INCONNUE", "20000", "", "not-found"],
    ]


def test_search_csv_refuses_an_unknown_column(
    sample_server: ReplayServer, client: httpx.Client
) -> None:
    status, _ = search_csv(client, sample_server.url, "adresse\n1 RUE X\n", columns="nope")
    assert status == 400


def test_search_geojson(sample_server: ReplayServer, client: httpx.Client) -> None:
    answer = client.get(
        sample_server.url + "/geocodage/search",
        params={"q": "2 RUE DES LILAS", "citycode": "2A004", "limit": 1},
    ).json()
    assert (answer["type"], len(answer["features"])) == ("FeatureCollection", 1)
    feature = answer["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [8.754828, 41.919185]}
    assert feature["properties"] == {
        "label": "2 Rue des Lilas 20000 Ajaccio", "score": 0.95, "housenumber": "2",
        "id": "2A004_0270_00002", "type": "housenumber", "name": "2 Rue des Lilas",
        "postcode": "20000", "citycode": "2A004", "x": 1178013.25, "y": 6108369.72,
        "city": "Ajaccio", "context": "2A", "importance": 0.5, "street": "Rue des Lilas",
    }  # fmt: skip


def test_search_needs_a_query(sample_server: ReplayServer, client: httpx.Client) -> None:
    assert client.get(sample_server.url + "/search", params={"q": "ab"}).status_code == 400


def test_failing_primary_and_working_fallback_geocoders(
    sample_server: ReplayServer, client: httpx.Client
) -> None:
    with ReplayServer(sample_server.world) as fallback:
        sample_server.faults.add("/search/csv", "status", status=503, times=None)
        body = "adresse\n2 RUE DES LILAS\n"
        assert search_csv(client, sample_server.url, body)[0] == 503
        assert search_csv(client, fallback.url, body)[0] == 200


# -- CLI --------------------------------------------------------------------------------------

CLI_START_TIMEOUT_S = 30  # importing the CLI takes a few seconds on a busy machine


def test_cli_serves_a_world_until_stopped(real_world_dir: Path, client: httpx.Client) -> None:
    command = [sys.executable, "-m", "volt.cli.main", "replay", "serve", str(real_world_dir)]
    env = {**os.environ, "COLUMNS": "200"}
    with subprocess.Popen(
        [*command, "--port", "0"], stdout=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            url = _served_url(process.stdout)
            assert client.get(url + ENEDIS).json()["count"] == CANNES_ROWS
        finally:
            process.terminate()
    assert process.returncode is not None


def _served_url(stdout: IO[str]) -> str:
    deadline = time.monotonic() + CLI_START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return match[1]
    raise AssertionError("the replay server never printed its URL")


def test_cli_refuses_a_missing_world(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["replay", "serve", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "is not a directory" in " ".join(result.output.split())  # Rich wraps lines


def test_request_log_keeps_the_headers(server: ReplayServer, client: httpx.Client) -> None:
    client.get(server.url + DPE + "/lines", headers={"x-apiKey": "secret-key"})
    assert server.log.entries()[-1].headers["x-apikey"] == "secret-key"


@pytest.mark.parametrize("param", ["qs", "format", "sort", "surface_habitable_logement_gte"])
def test_data_fair_parameters_not_replayed_are_refused(
    server: ReplayServer, client: httpx.Client, param: str
) -> None:
    # A fetch relying on them must fail here, not silently get unfiltered rows.
    response = client.get(server.url + DPE + "/lines", params={param: "x"})
    assert response.status_code == 400
