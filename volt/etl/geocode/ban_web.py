"""The BAN web geocoder: pending addresses sent to `/search/csv` in chunks (the Géoplateforme first,
the historical host as fallback); answers stored as received; only confident house numbers accepted.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import httpx
import pyarrow as pa

from volt.etl.geocode.ban_web_answers import (
    Answer,
    AnswerError,
    Decision,
    PendingAddress,
    Query,
    Reason,
    answer_from_geojson,
    chunk_csv,
    decide,
    parse_search_csv,
    query_for,
    request_key,
    search_csv_form,
)
from volt.etl.geocode.base import DECISION_COLUMNS, PENDING_COLUMNS
from volt.etl.sources.api.http import BadPayload, FetchError, HttpClient, run_sync
from volt.etl.sources.registry import source_spec

T = TypeVar("T")
log = logging.getLogger("volt.etl.geocode")

METHOD = "ban_web"
DECISIONS_TABLE = "geo_ban_web_decisions"
# `GET /search` asks for two candidates: the second one's score is the runner-up's.
ONE_BY_ONE_LIMIT = 2


@dataclass(frozen=True)
class BanWebReport:
    """What the web geocoder did; rows_pending = matched + ambiguous + sum(undecided)."""

    rows_pending: int
    rows_sent: int  # pending rows with a query (a house number and a commune)
    lines_sent: int  # distinct queries: the lines of the chunks, stored answers included
    rows_answered: int  # rows whose query got a candidate (status ok)
    matched: int
    ambiguous: int
    undecided: dict[str, int]  # rows left pending, by reason (low_score, not_housenumber, …)
    chunks: int
    chunks_reused: int  # answered from answers_dir, not sent again
    chunks_fallback: int  # answered by the fallback root
    requests: int  # HTTP requests sent, retries included
    retries: int
    seconds: float

    @property
    def balanced(self) -> bool:
        return self.rows_pending == self.matched + self.ambiguous + sum(self.undecided.values())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass(frozen=True)
class _ChunkAnswer:
    answers: list[Answer]
    reused: bool
    fallback: bool


class BanWebGeocoder:
    """Geocoder (volt.etl.geocode.base) over the BAN's addok API; `report` after each run.

    `new_client` makes the HttpClient whose per-host quotas and concurrency bound do the
    politeness (ApiConfig.client). Answers are stored in `answers_dir` under the sha256 of the
    request, and a stored answer is read instead of asking again: an interrupted run resumes
    and a rerun sends nothing.
    """

    def __init__(
        self,
        new_client: Callable[[], HttpClient],
        root: str,
        *,
        fallback_root: str | None = None,
        min_score: float,
        min_margin: float,
        answers_dir: Path | None = None,
        chunk_lines: int | None = None,
    ) -> None:
        settings = source_spec("ban").settings
        self._new_client = new_client
        self._roots = tuple(r.rstrip("/") for r in (root, fallback_root) if r)
        self._search_path: str = settings["search_path"]
        self._csv_path: str = settings["search_csv_path"]
        self._chunk_lines = chunk_lines or int(settings["search_csv_max_lines"])
        self.min_score, self.min_margin = min_score, min_margin
        self.answers_dir = answers_dir
        self.report: BanWebReport | None = None

    @property
    def method(self) -> str:
        return METHOD

    @property
    def signature(self) -> str:
        """What, besides the sources and the code, decides its answers (part of data_version:
        new thresholds must not meet "nothing to do")."""
        return f"{METHOD} score>={self.min_score} margin>={self.min_margin}"

    def geocode(self, con: duckdb.DuckDBPyConnection, pending: str) -> str:
        rows = [
            PendingAddress(*r)
            for r in con.execute(f"SELECT {', '.join(PENDING_COLUMNS)} FROM {pending}").fetchall()
        ]
        decisions = self.geocode_rows(rows)
        decided = [(row_id, d) for row_id, d in decisions.items() if d.decided]
        table = pa.table(
            {
                "_row_id": pa.array([r for r, _ in decided], pa.int64()),
                "ban_id": pa.array([d.ban_id for _, d in decided], pa.string()),
                "geocode_status": pa.array([str(d.reason) for _, d in decided], pa.string()),
                "geocode_method": pa.array([METHOD] * len(decided), pa.string()),
                "geocode_score": pa.array([d.score for _, d in decided], pa.float64()),
                "geocode_candidates": pa.array([d.candidates for _, d in decided], pa.int32()),
            }
        )
        con.register("geo_ban_web_arrow", table)
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {DECISIONS_TABLE} AS "
                f"SELECT {', '.join(DECISION_COLUMNS)} FROM geo_ban_web_arrow"
            )
        finally:
            con.unregister("geo_ban_web_arrow")
        return DECISIONS_TABLE

    def geocode_rows(self, rows: Sequence[PendingAddress]) -> dict[int, Decision]:
        """Decide each pending row through `/search/csv`; sets `report`."""
        started = time.perf_counter()
        queries = {row.row_id: query_for(row) for row in rows}
        distinct = sorted({q for q in queries.values() if q is not None})
        chunks = [
            distinct[i : i + self._chunk_lines] for i in range(0, len(distinct), self._chunk_lines)
        ]
        answered: list[_ChunkAnswer] = []
        requests = retries = 0
        if chunks:
            answered, client = run_sync(self._answer_chunks(chunks))
            requests, retries = client.stats.requests, client.stats.retries
        answers = {
            q: a
            for chunk, got in zip(chunks, answered, strict=True)
            for q, a in zip(chunk, got.answers, strict=True)
        }
        decisions = self._decide(queries, answers)
        self.report = _report(
            rows, queries, answers, decisions, answered, requests, retries,
            time.perf_counter() - started,
        )  # fmt: skip
        return decisions

    def geocode_one_by_one(self, rows: Sequence[PendingAddress]) -> dict[int, Decision]:
        """The same decisions through one `GET /search` per distinct address (benchmark only)."""
        started = time.perf_counter()
        queries = {row.row_id: query_for(row) for row in rows}
        distinct = sorted({q for q in queries.values() if q is not None})
        answers: dict[Query, Answer] = {}
        requests = retries = 0
        if distinct:
            found, client = run_sync(self._search_each(distinct))
            answers = dict(zip(distinct, found, strict=True))
            requests, retries = client.stats.requests, client.stats.retries
        decisions = self._decide(queries, answers)
        self.report = _report(
            rows, queries, answers, decisions, [], requests, retries,
            time.perf_counter() - started,
        )  # fmt: skip
        return decisions

    def _decide(
        self, queries: dict[int, Query | None], answers: dict[Query, Answer]
    ) -> dict[int, Decision]:
        by_query = {
            q: decide(a, q, min_score=self.min_score, min_margin=self.min_margin)
            for q, a in answers.items()
        }
        return {
            row_id: by_query[q] if q is not None else Decision(Reason.NO_QUERY)
            for row_id, q in queries.items()
        }

    async def _answer_chunks(
        self, chunks: list[list[Query]]
    ) -> tuple[list[_ChunkAnswer], HttpClient]:
        async with self._new_client() as client:
            # Every chunk runs to its end even when one fails: what was answered is stored,
            # so the rerun only asks for the rest.
            results = await asyncio.gather(
                *(self._answer_chunk(client, c) for c in chunks), return_exceptions=True
            )
        return _all_answered(results, "chunks"), client

    async def _answer_chunk(self, client: HttpClient, queries: list[Query]) -> _ChunkAnswer:
        data = chunk_csv(queries)
        form = search_csv_form()
        key = request_key(self._csv_path, data, form)
        stored = self._stored(key, len(queries))
        if stored is not None:
            return _ChunkAnswer(stored, reused=True, fallback=False)

        def parse(response: httpx.Response) -> tuple[bytes, list[Answer]]:
            try:
                return response.content, parse_search_csv(response.content, len(queries))
            except AnswerError as exc:
                raise BadPayload(str(exc)) from exc

        (body, answers), fallback = await self._on_roots(
            lambda root: client.fetch(
                "POST", root + self._csv_path, parse, data=form,
                files={"data": ("addresses.csv", data, "text/csv")},
            )
        )  # fmt: skip
        self._store(key, body)
        return _ChunkAnswer(answers, reused=False, fallback=fallback)

    async def _search_each(self, queries: list[Query]) -> tuple[list[Answer], HttpClient]:
        async with self._new_client() as client:

            def parse(response: httpx.Response) -> Answer:
                try:
                    return answer_from_geojson(response.json())
                except AnswerError as exc:
                    raise BadPayload(str(exc)) from exc

            async def search(query: Query) -> Answer:
                params = {"q": query.q, "limit": ONE_BY_ONE_LIMIT}
                if query.citycode:
                    params["citycode"] = query.citycode
                answer, _ = await self._on_roots(
                    lambda root: client.fetch("GET", root + self._search_path, parse, params=params)
                )
                return answer

            results = await asyncio.gather(*(search(q) for q in queries), return_exceptions=True)
        return _all_answered(results, "addresses"), client

    async def _on_roots(self, send: Callable[[str], Awaitable[T]]) -> tuple[T, bool]:
        """The answer of the first root that gives one, and whether it was a fallback."""
        failures: list[str] = []
        for i, root in enumerate(self._roots):
            try:
                return await send(root), i > 0
            except FetchError as exc:
                failures.append(exc.message)
                if i + 1 < len(self._roots):
                    log.warning("geocode.ban_web.fallback root=%s reason=%s", root, exc.message)
        raise FetchError(
            "The BAN geocoder gave no usable answer: " + " | ".join(failures),
            hint="The geocoder hosts are down or refuse the request; rerun later (answers "
            "already received are kept) or set VOLT_BAN_FALLBACK_API_URL to another host.",
        )

    def _stored(self, key: str, lines: int) -> list[Answer] | None:
        path = self._answer_path(key)
        if path is None or not path.is_file():
            return None
        try:
            return parse_search_csv(path.read_bytes(), lines)
        except AnswerError:
            return None  # unreadable: asked again, and the file replaced

    def _store(self, key: str, body: bytes) -> None:
        path = self._answer_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed: a kill mid-write never leaves a half answer under the key.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(body)
        tmp.replace(path)

    def _answer_path(self, key: str) -> Path | None:
        return self.answers_dir / f"{key}.csv" if self.answers_dir is not None else None


def _all_answered(results: Iterable[T | BaseException], what: str) -> list[T]:
    """The results, or one FetchError saying how many parts failed; a bug is raised as is."""
    done: list[T] = []
    failed: list[FetchError] = []
    for result in results:
        if isinstance(result, FetchError):
            failed.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            done.append(result)
    if failed:
        raise FetchError(
            f"{len(failed)} of {len(failed) + len(done)} {what} could not be geocoded: "
            f"{failed[0].message}",
            hint=failed[0].hint,
        )
    return done


def _report(
    rows: Sequence[PendingAddress],
    queries: dict[int, Query | None],
    answers: dict[Query, Answer],
    decisions: dict[int, Decision],
    chunks: Sequence[_ChunkAnswer],
    requests: int,
    retries: int,
    seconds: float,
) -> BanWebReport:
    reasons = Counter(str(d.reason) for d in decisions.values())
    sent = [q for q in queries.values() if q is not None]
    return BanWebReport(
        rows_pending=len(rows),
        rows_sent=len(sent),
        lines_sent=len(answers),
        rows_answered=sum(1 for q in sent if answers[q].status == "ok"),
        matched=reasons.pop(str(Reason.MATCHED), 0),
        ambiguous=reasons.pop(str(Reason.AMBIGUOUS), 0),
        undecided=dict(sorted(reasons.items())),
        chunks=len(chunks),
        chunks_reused=sum(c.reused for c in chunks),
        chunks_fallback=sum(c.fallback for c in chunks),
        requests=requests,
        retries=retries,
        seconds=seconds,
    )
