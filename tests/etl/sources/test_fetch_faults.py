"""Fault injection on the replay server, one test per trap: the fetch either completes with the
same bytes as a clean fetch, or stops with a clear error and a rerun resumes to the same bytes."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.etl.sources.fetch_support import config, data_files, fetch, make_world
from volt.etl.sources.api.datafair import IncompleteFetchError, SourceChangedError
from volt.etl.sources.api.enedis import enedis_requests
from volt.etl.sources.api.fetch import FetchOutcome
from volt.etl.sources.api.http import FetchError
from volt.etl.sources.replay import ReplayServer, World

PAGE = 100  # Lyon 2023: 472 Enedis rows → 5 pages
PAGES = r"/lines\?.*size=100"  # page requests (the probe asks size=0)
NEXT_PAGES = PAGES + r".*&after="  # pages 2, 3… (the first page has no cursor)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    world = World.load(make_world(tmp_path_factory.mktemp("world")))
    with ReplayServer(world, port=0) as srv:
        yield srv


@pytest.fixture(autouse=True)
def no_faults(server: ReplayServer) -> Iterator[None]:
    server.faults.clear()
    yield
    server.faults.clear()


@pytest.fixture(scope="module")
def clean(server: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("clean")
    _fetch(server, root)
    return _files(root)


def _fetch(server: ReplayServer, root: Path, **policy: float) -> FetchOutcome:
    cfg = config(server.url, **policy)
    requests = enedis_requests(cfg, year=2023, departement="69", page_size=PAGE)
    return fetch(requests, cfg, root / "store", root / "bronze" / "run")


def _files(root: Path) -> dict[str, str]:
    return {**data_files(root / "store"), **data_files(root / "bronze")}


def test_clean_fetch_has_five_pages(clean: dict[str, str]) -> None:
    pages = sorted(k.rsplit("/", 1)[1] for k in clean if "/page-" in k)
    assert pages == [f"page-0000{n}.jsonl" for n in range(1, 6)]


def test_429_with_retry_after(server: ReplayServer, tmp_path: Path, clean: dict[str, str]) -> None:
    server.faults.add(PAGES, "status", status=429, retry_after=1, after=1)
    out = _fetch(server, tmp_path)
    assert _files(tmp_path) == clean
    http = out.summary.http
    assert (http["throttled"], http["retries"], http["by_reason"]) == (1, 1, {"429": 1})
    assert out.summary.seconds >= 0.9  # the Retry-After pause, not a 0.01 s backoff


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_500_502_503(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str], status: int
) -> None:
    rule = server.faults.add(PAGES, "status", status=status, after=2, times=2)
    out = _fetch(server, tmp_path)
    assert rule.fired == 2
    assert _files(tmp_path) == clean
    assert out.summary.http["by_reason"] == {str(status): 2}


def test_timeout(server: ReplayServer, tmp_path: Path, clean: dict[str, str]) -> None:
    server.faults.add(PAGES, "delay", seconds=0.6, after=1)
    out = _fetch(server, tmp_path, timeout_s=0.2)
    assert _files(tmp_path) == clean
    assert out.summary.http["by_reason"] == {"timeout": 1}


@pytest.mark.parametrize(
    ("kind", "fraction", "after"),
    [("truncate", 0.5, 3), ("reset", 0.3, 2)],
    ids=["truncated_body", "connection_reset_mid_page"],
)
def test_a_page_cut_in_transit_is_fetched_again(
    server: ReplayServer,
    tmp_path: Path,
    clean: dict[str, str],
    kind: str,
    fraction: float,
    after: int,
) -> None:
    rule = server.faults.add(PAGES, kind, fraction=fraction, after=after)
    out = _fetch(server, tmp_path)
    assert rule.fired == 1
    assert _files(tmp_path) == clean
    assert out.summary.http["retries"] == 1


def test_body_not_the_lines_shape(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str]
) -> None:
    # Trap: a proxy's 200 with some other JSON (an error object, a maintenance page as JSON).
    server.faults.add(PAGES, "status", status=200, body={"error": "maintenance"}, after=1)
    out = _fetch(server, tmp_path)
    assert _files(tmp_path) == clean
    assert out.summary.http["by_reason"] == {"payload": 1}


def test_total_changing_between_pages(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str]
) -> None:
    rule = server.faults.add(PAGES, "total_change", delta=3, after=2)
    out = _fetch(server, tmp_path)
    assert rule.fired == 1
    assert _files(tmp_path) == clean
    assert out.partitions[0].state.restarts == 1


def test_a_next_that_repeats_the_cursor_restarts_instead_of_reading_a_page_twice(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str]
) -> None:
    # Trap: a `next` whose `after` is the page's own cursor would serve that page again.
    since = time.monotonic()  # a delayed answer to an earlier test may still be logged
    rule = server.faults.add(NEXT_PAGES, "stuck_cursor", after=1)
    out = _fetch(server, tmp_path)
    assert rule.fired == 1
    assert _files(tmp_path) == clean
    assert out.partitions[0].state.restarts == 1
    # Caught at the stuck page (pages 1, 2, 3, then 1…5 again), not after reading on with a page
    # twice until the count check notices (10 page requests).
    pages = [e for e in server.log.entries() if e.t >= since and re.search(PAGES, e.target)]
    assert len(pages) == 8


def test_total_changing_every_page_stops_then_resumes(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str]
) -> None:
    server.faults.add(NEXT_PAGES, "total_change", delta=1, times=None)
    with pytest.raises(SourceChangedError, match="the source changed during the fetch"):
        _fetch(server, tmp_path)
    server.faults.clear()
    out = _fetch(server, tmp_path)
    # The third pass kept its first page; the rerun goes on from there.
    assert (out.summary.resumed, out.summary.rows, out.summary.rows_fetched) == (1, 472, 372)
    assert _files(tmp_path) == clean


def test_empty_page_before_the_end(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str]
) -> None:
    rule = server.faults.add(PAGES, "empty_page", after=2)
    out = _fetch(server, tmp_path)
    assert rule.fired == 1
    assert _files(tmp_path) == clean
    assert out.partitions[0].state.restarts == 0


def test_empty_pages_persisting_stop_then_resume(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str]
) -> None:
    server.faults.add(PAGES, "empty_page", after=2, times=None)
    with pytest.raises(IncompleteFetchError, match="an empty page after 200 of 472 rows"):
        _fetch(server, tmp_path)
    server.faults.clear()
    since = time.monotonic()  # a delayed answer to an earlier test may still be logged
    out = _fetch(server, tmp_path)
    assert (out.summary.resumed, out.summary.rows_fetched) == (1, 272)
    # Resumed at the cursor: pages 3, 4 and 5 only.
    pages = [e for e in server.log.entries() if e.t >= since and re.search(PAGES, e.target)]
    assert len(pages) == 3
    assert _files(tmp_path) == clean


def test_retry_budget_spent_then_resume(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str]
) -> None:
    server.faults.add(PAGES, "status", status=503, after=3, times=None)
    with pytest.raises(FetchError, match=r"failed 5 times; last: HTTP 503") as caught:
        _fetch(server, tmp_path)
    assert caught.value.hint and "resumes where it stopped" in caught.value.hint
    server.faults.clear()
    out = _fetch(server, tmp_path)
    assert (out.summary.resumed, out.summary.rows_fetched) == (1, 172)
    assert _files(tmp_path) == clean


def test_last_page_before_the_total(
    server: ReplayServer, tmp_path: Path, clean: dict[str, str]
) -> None:
    # Trap: a page without `next` while rows are still expected: the pass is redone.
    short = {"total": 472, "results": [{"annee": 2023, "_i": 1}]}
    rule = server.faults.add(PAGES, "status", status=200, body=short, after=1)
    out = _fetch(server, tmp_path)
    assert rule.fired == 1
    assert out.partitions[0].state.restarts == 1
    assert _files(tmp_path) == clean


def test_last_page_before_the_total_every_time(server: ReplayServer, tmp_path: Path) -> None:
    short = {"total": 472, "results": [{"annee": 2023, "_i": 1}]}
    server.faults.add(NEXT_PAGES, "status", status=200, body=short, times=None)
    with pytest.raises(IncompleteFetchError, match="the API ended after 101 of 472 rows"):
        _fetch(server, tmp_path)
