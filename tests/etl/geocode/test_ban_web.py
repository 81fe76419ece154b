"""The BAN web geocoder against the local replay server: decisions, chunks, fallback, stored
answers, the Paris/Lyon/Marseille trap and the chain after the national-file geocoder."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.etl.geocode.conftest import BAN_COLUMNS, Enedis, ban, run_geocoding, write_table
from tests.etl.geocode.conftest import ENEDIS_COLUMNS as SILVER_ENEDIS_COLUMNS
from volt.errors import VoltError
from volt.etl.geocode import BanFileGeocoder
from volt.etl.geocode.ban_web import BanWebGeocoder, BanWebReport
from volt.etl.geocode.ban_web_answers import Decision, PendingAddress, Reason, parse_search_csv
from volt.etl.geocode.base import PENDING_COLUMNS
from volt.etl.sources.api.http import FetchError, HostPolicy, HttpClient
from volt.etl.sources.replay import ReplayServer, World
from volt.sample import generate_sample

# Quick to give up, so that fault tests take milliseconds: one retry, tiny backoffs.
FAST = HostPolicy(1000, 1.0, concurrency=4, timeout_s=5.0, retries=1, backoff_base_s=0.01,
                  backoff_max_s=0.02)  # fmt: skip
CSV_POSTS = "/search/csv"
BAN_HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
    "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat"
)


def ban_line(id_: str, numero: int, voie: str, commune: str) -> str:
    insee = id_.split("_")[0]
    return f"{id_};;{numero};;{voie};06400;{insee};{commune};;;1025891.92;6280666.85;7.03;43.55"


def ban_csv(lines: list[str]) -> bytes:
    return ("\n".join([BAN_HEADER, *lines]) + "\n").encode()


def make_world() -> World:
    """Cannes: Rue Lacour 1–30, Impasse Lacour 13, Avenue Laugier 1–10; Lyon 3e: Rue Paul Bert."""
    cannes = [ban_line(f"06029_1900_{n:05d}", n, "Rue Lacour", "Cannes") for n in range(1, 31)]
    cannes.append(ban_line("06029_1901_00013", 13, "Impasse Lacour", "Cannes"))
    cannes += [ban_line(f"06029_1941_{n:05d}", n, "Avenue Laugier", "Cannes") for n in range(1, 11)]
    lyon = [
        ban_line(f"69383_5120_{n:05d}", n, "Rue Paul Bert", "Lyon 3e Arrondissement")
        for n in range(1, 11)
    ]
    return World(ban_files={"06": ban_csv(cannes), "69": ban_csv(lyon)})


def row(row_id: int, adresse: str | None, insee: str = "06029", commune: str | None = None):  # type: ignore[no-untyped-def]
    return PendingAddress(row_id, None, None, None, None, adresse, commune or insee, insee)


ROWS = [
    row(1, "13 RUE LACOUR"),
    row(2, "13 LACOUR"),  # Rue Lacour and Impasse Lacour both have a 13: no margin
    row(3, "99 RUE LACOUR"),  # no such number: the street comes back
    row(4, "5 RUE INCONNUE"),
    row(5, "RUE LACOUR"),  # no number: not worth asking
    row(6, "4 RUE PAUL BERT", "69383", "69123"),  # silver took the arrondissement from the IRIS
    row(7, "5 RUE PAUL BERT", "69123"),  # no IRIS code: the whole city
    row(8, "3 AV LAUGIER"),
    row(9, "3 RUE LAUGIER"),  # another street type: a weaker answer
]
EXPECTED = {
    1: Decision(Reason.MATCHED, "06029_1900_00013", 0.95, 1),
    2: Decision(Reason.AMBIGUOUS, None, 0.8, 2),
    3: Decision(Reason.NOT_HOUSENUMBER, None, 0.75),
    4: Decision(Reason.NOT_FOUND),
    5: Decision(Reason.NO_QUERY),
    6: Decision(Reason.MATCHED, "69383_5120_00004", 0.95, 1),
    7: Decision(Reason.MATCHED, "69383_5120_00005", 0.95, 1),
    8: Decision(Reason.MATCHED, "06029_1941_00003", 0.95, 1),
    9: Decision(Reason.LOW_SCORE, None, 0.725),
}


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def server(world: World) -> Iterator[ReplayServer]:
    with ReplayServer(world) as replay:
        yield replay


@pytest.fixture
def fallback(world: World) -> Iterator[ReplayServer]:
    with ReplayServer(world) as replay:
        yield replay


def web(
    root: str,
    *,
    fallback_root: str | None = None,
    answers_dir: Path | None = None,
    chunk_lines: int | None = None,
) -> BanWebGeocoder:
    return BanWebGeocoder(
        lambda: HttpClient({}, default=FAST), root, fallback_root=fallback_root,
        min_score=0.8, min_margin=0.05, answers_dir=answers_dir, chunk_lines=chunk_lines,
    )  # fmt: skip


def posts(server: ReplayServer) -> int:
    return sum(1 for e in server.log.entries(CSV_POSTS) if e.method == "POST")


def lacour_rows(n: int) -> list[PendingAddress]:
    return [row(i, f"{i} RUE LACOUR") for i in range(1, n + 1)]


def report_counts(report: BanWebReport | None) -> dict[str, object]:
    assert report is not None
    counts = report.to_dict()
    del counts["seconds"]
    return counts


def test_decisions_and_report_on_the_replay_server(server: ReplayServer) -> None:
    geocoder = web(server.url)
    assert geocoder.geocode_rows(ROWS) == EXPECTED
    assert report_counts(geocoder.report) == {
        "rows_pending": 9, "rows_sent": 8, "lines_sent": 8, "rows_answered": 7,
        "matched": 4, "ambiguous": 1,
        "undecided": {"low_score": 1, "no_query": 1, "not_found": 1, "not_housenumber": 1},
        "chunks": 1, "chunks_reused": 0, "chunks_fallback": 0, "requests": 1, "retries": 0,
    }  # fmt: skip
    assert geocoder.report is not None and geocoder.report.balanced


def test_plm_whole_city_code_is_sent_without_a_citycode_filter(
    server: ReplayServer, tmp_path: Path
) -> None:
    # Trap: the geocoder's citycodes are arrondissements; filtering on 69123 finds nothing.
    geocoder = web(server.url, answers_dir=tmp_path)
    decisions = geocoder.geocode_rows([ROWS[5], ROWS[6]])
    assert decisions == {6: EXPECTED[6], 7: EXPECTED[7]}
    (stored,) = tmp_path.iterdir()
    sent = [line.split(",")[:3] for line in stored.read_text().splitlines()]
    assert sent == [
        ["key", "q", "citycode"],
        ["0", "5 RUE PAUL BERT Lyon", ""],  # no filter, the city named in the query
        ["1", "4 RUE PAUL BERT", "69383"],
    ]
    naive = httpx.get(f"{server.url}/search", params={"q": "5 RUE PAUL BERT", "citycode": "69123"})
    assert naive.json()["features"] == []


def test_chunks_of_at_most_chunk_lines(server: ReplayServer, tmp_path: Path) -> None:
    geocoder = web(server.url, answers_dir=tmp_path, chunk_lines=10)
    decisions = geocoder.geocode_rows(lacour_rows(25))
    assert [d.ban_id for d in decisions.values()] == [f"06029_1900_{n:05d}" for n in range(1, 26)]
    assert posts(server) == 3  # ceil(25 / 10)
    lines = sorted(len(p.read_text().splitlines()) - 1 for p in tmp_path.iterdir())
    assert lines == [5, 10, 10]
    report = geocoder.report
    assert report is not None and (report.chunks, report.requests, report.matched) == (3, 3, 25)


def test_stored_answers_are_reused_and_a_rerun_sends_nothing(
    server: ReplayServer, tmp_path: Path
) -> None:
    first = web(server.url, answers_dir=tmp_path, chunk_lines=4)
    decisions = first.geocode_rows(ROWS)
    assert posts(server) == 2
    # Each answer is kept as received, under the sha256 of its request.
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and all(len(n) == len("0" * 64 + ".csv") for n in names)
    again = web(server.url, answers_dir=tmp_path, chunk_lines=4)
    assert again.geocode_rows(ROWS) == decisions == EXPECTED
    assert posts(server) == 2
    assert again.report is not None
    assert (again.report.requests, again.report.chunks_reused) == (0, 2)
    # An interrupted run left one chunk unanswered: only that one is asked again.
    (tmp_path / names[0]).unlink()
    resumed = web(server.url, answers_dir=tmp_path, chunk_lines=4)
    assert resumed.geocode_rows(ROWS) == EXPECTED
    assert resumed.report is not None
    assert (resumed.report.requests, resumed.report.chunks_reused) == (1, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_a_failed_chunk_keeps_the_answered_ones_for_the_rerun(
    server: ReplayServer, tmp_path: Path
) -> None:
    # Only the first request gets an answer; the two other chunks fail after their retry.
    server.faults.add(CSV_POSTS, "status", times=None, after=1, status=503)
    with pytest.raises(FetchError, match="2 of 3 chunks could not be geocoded") as failed:
        web(server.url, answers_dir=tmp_path, chunk_lines=10).geocode_rows(lacour_rows(25))
    assert failed.value.hint is not None
    assert len(list(tmp_path.iterdir())) == 1
    server.faults.clear()
    resumed = web(server.url, answers_dir=tmp_path, chunk_lines=10)
    assert len(resumed.geocode_rows(lacour_rows(25))) == 25
    assert resumed.report is not None
    assert (resumed.report.requests, resumed.report.chunks_reused, resumed.report.matched) == (
        2, 1, 25,
    )  # fmt: skip


def test_fallback_when_the_primary_answers_503_for_good(
    server: ReplayServer, fallback: ReplayServer
) -> None:
    server.faults.add(CSV_POSTS, "status", times=None, status=503)
    geocoder = web(server.url, fallback_root=fallback.url, chunk_lines=4)
    assert geocoder.geocode_rows(ROWS) == EXPECTED
    assert (posts(server), posts(fallback)) == (4, 2)  # 2 chunks × (1 try + 1 retry), then 2
    report = geocoder.report
    assert report is not None
    assert (report.chunks, report.chunks_fallback, report.requests, report.retries) == (2, 2, 6, 2)


def test_fallback_when_the_primary_refuses_connections(fallback: ReplayServer) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    geocoder = web(closed, fallback_root=fallback.url)
    assert geocoder.geocode_rows(ROWS) == EXPECTED
    assert geocoder.report is not None and geocoder.report.chunks_fallback == 1


def test_garbage_answer_goes_to_the_fallback_and_is_not_stored(
    server: ReplayServer, fallback: ReplayServer, tmp_path: Path
) -> None:
    # A 200 that is no CSV answer (a portal's error page, a proxy's JSON) is retried, then sent
    # to the other host; only the good answer is kept.
    server.faults.add(CSV_POSTS, "status", times=None, status=200, body={"message": "maintenance"})
    geocoder = web(server.url, fallback_root=fallback.url, answers_dir=tmp_path)
    assert geocoder.geocode_rows(ROWS) == EXPECTED
    assert geocoder.report is not None and geocoder.report.chunks_fallback == 1
    (stored,) = tmp_path.iterdir()
    assert len(parse_search_csv(stored.read_bytes(), 8)) == 8


def test_both_roots_failing_is_a_clear_error(
    server: ReplayServer, fallback: ReplayServer, tmp_path: Path
) -> None:
    for replay in (server, fallback):
        replay.faults.add(CSV_POSTS, "status", times=None, status=503)
    geocoder = web(server.url, fallback_root=fallback.url, answers_dir=tmp_path)
    with pytest.raises(VoltError) as failed:
        geocoder.geocode_rows(ROWS)
    message = str(failed.value)
    assert "1 of 1 chunks could not be geocoded" in message
    assert f"{server.url}/search/csv failed 2 times" in message
    assert f"{fallback.url}/search/csv failed 2 times" in message
    assert "VOLT_BAN_FALLBACK_API_URL" in message  # the hint says what to do
    assert list(tmp_path.iterdir()) == []


def test_nothing_pending_sends_nothing(server: ReplayServer) -> None:
    geocoder = web(server.url)
    con = duckdb.connect()
    columns = ", ".join(f"NULL::VARCHAR AS {c}" for c in PENDING_COLUMNS[1:])
    con.execute(f"CREATE TABLE pending AS SELECT 1::BIGINT AS _row_id, {columns} WHERE false")
    decided = geocoder.geocode(con, "pending")
    assert con.execute(f"SELECT count(*) FROM {decided}").fetchone() == (0,)
    assert geocoder.report is not None and geocoder.report.requests == 0
    assert server.log.count() == 0


def test_one_by_one_gives_the_same_decisions(server: ReplayServer) -> None:
    geocoder = web(server.url)
    assert geocoder.geocode_one_by_one(ROWS) == EXPECTED
    gets = [e.target for e in server.log.entries("/search") if e.method == "GET"]
    assert len(gets) == 8  # one GET per address worth asking
    assert "/search?q=5+RUE+PAUL+BERT+Lyon&limit=2" in gets  # the whole city: no citycode
    assert geocoder.report is not None and geocoder.report.requests == 8


# Silver Enedis rows for the chain: the national file knows only Avenue Laugier.
CHAIN_ENEDIS = [
    Enedis("3", "AVENUE", "LAUGIER", annee=2021),
    Enedis("3", "AVENUE", "LAUGIER", annee=2022),
    Enedis("13", "RUE", "LACOUR", annee=2021),
    Enedis("13", "RUE", "LACOUR", annee=2022),
    Enedis("5", "RUE", "PAUL BERT", code_commune="69123"),  # no IRIS code: the whole city
    Enedis("4", "RUE", "PAUL BERT", code_commune="69123", code_insee="69383"),
    Enedis("99", "RUE", "LACOUR"),
    Enedis(None, "RUE", "LACOUR"),
]
CHAIN_FILE_BAN = [ban(f"06029_1941_{n:05d}", str(n), "Avenue Laugier") for n in range(1, 11)]


def silver(tmp_path: Path) -> Path:
    root = tmp_path / "silver"
    rows = [e.values(i) for i, e in enumerate(CHAIN_ENEDIS)]
    write_table(root / "enedis" / "part-0.parquet", SILVER_ENEDIS_COLUMNS, rows)
    write_table(root / "ban" / "part-0.parquet", BAN_COLUMNS, CHAIN_FILE_BAN)
    return root


def test_chain_file_then_web_decides_only_what_the_file_left_pending(
    server: ReplayServer, tmp_path: Path
) -> None:
    root = silver(tmp_path)
    geocoder = web(server.url)
    file_geocoder = BanFileGeocoder(f"{root}/ban/**/*.parquet")
    result = run_geocoding(root, tmp_path / "out.parquet", [file_geocoder, geocoder])
    assert result.outcome() == [
        ("06029_1941_00003", "matched", "ban_file:exact", 1.0, 1),
        ("06029_1941_00003", "matched", "ban_file:exact", 1.0, 1),
        ("06029_1900_00013", "matched", "ban_web", 0.95, 1),
        ("06029_1900_00013", "matched", "ban_web", 0.95, 1),
        ("69383_5120_00005", "matched", "ban_web", 0.95, 1),
        ("69383_5120_00004", "matched", "ban_web", 0.95, 1),
        (None, "not_found", None, None, 0),
        (None, "not_found", None, None, 0),
    ]
    report = result.report
    assert (report.rows_in, len(result.rows), report.matched, report.not_found) == (8, 8, 6, 2)
    assert report.by_method == {"ban_web": 4, "ban_file:exact": 2}
    # The web geocoder saw the 5 distinct addresses the file left, never the Laugier one.
    assert geocoder.report is not None
    assert (geocoder.report.rows_pending, geocoder.report.rows_sent) == (5, 4)


def test_web_geocoder_alone_without_a_ban_file(server: ReplayServer, tmp_path: Path) -> None:
    root = silver(tmp_path)
    result = run_geocoding(root, tmp_path / "out.parquet", [web(server.url)])
    assert [r[2] for r in result.outcome()] == ["ban_web"] * 6 + [None] * 2
    assert (result.report.rows_in, result.report.matched) == (8, 6)


def test_sample_world_in_chunks_agrees_with_the_national_file(
    run_silver,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    # Two communes of `volt sample generate` (Cannes, Lyon 3e): the file geocoder is given the
    # BAN of 06 only, so every Lyon address is left to the web geocoder, in chunks of 100.
    world_dir = tmp_path / "world"
    generate_sample(world_dir, communes=2, years=(2023,))
    files = {str(p.relative_to(world_dir)): p.read_bytes() for p in world_dir.glob("*/*.csv")}
    run = run_silver({k: v for k, v in files.items() if not k.startswith("dpe/")})
    silver_dir = run.zones.silver(run.report.run_id)
    with ReplayServer(World.load(world_dir)) as replay:
        geocoder = web(replay.url, answers_dir=tmp_path / "answers", chunk_lines=100)
        file_06 = BanFileGeocoder(f"{silver_dir}/ban/code_departement=06/*.parquet")
        chained = run_geocoding(silver_dir, tmp_path / "chained.parquet", [file_06, geocoder])
        sent_posts = posts(replay)
    by_file = run_geocoding(
        silver_dir, tmp_path / "file.parquet", [BanFileGeocoder(f"{silver_dir}/ban/**/*.parquet")]
    )
    lyon = [r for r in chained.rows if r["code_departement"] == "69"]
    report = geocoder.report
    assert report is not None and report.balanced
    assert len(chained.rows) == chained.report.rows_in == len(by_file.rows)
    assert report.rows_pending == len({r["adresse"] for r in lyon})
    assert sent_posts == report.chunks == -(-report.lines_sent // 100)
    assert {r["geocode_method"] for r in lyon} <= {"ban_web", None}
    # Lyon rows carry 69123; the answers are in the arrondissement.
    assert {r["code_commune"] for r in lyon} == {"69123"}
    assert {r["ban_id"][:5] for r in lyon if r["ban_id"]} == {"69383"}
    # Where both decided, the web answer is the national file's address.
    file_ids = {(r["tri_des_adresses"], r["annee"]): r["ban_id"] for r in by_file.rows}
    both = [r for r in lyon if r["ban_id"] and file_ids[(r["tri_des_adresses"], r["annee"])]]
    assert len(both) == sum(r["geocode_status"] == "matched" for r in lyon)
    assert report.matched > 0.9 * report.rows_pending  # not a vacuous agreement
    assert all(r["ban_id"] == file_ids[(r["tri_des_adresses"], r["annee"])] for r in both)
