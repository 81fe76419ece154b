"""The BAN web geocoder's pure side: one query per pending address, the CSV sent to `/search/csv`,
the answers read back (CSV or GeoJSON) and the accept/refuse decision on each answer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from volt.domain.codes import normalise_ban_housenumber_id
from volt.domain.street_types import repetition_alternatives

# Trap: Enedis keeps the whole-city code of Paris, Lyon and Marseille when the IRIS code is missing;
# the geocoder knows only arrondissements, so the city's name goes into the query instead.
PLM_CITIES = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}
_PLM_ARRONDISSEMENTS = (("75101", "75120", "75056"), ("69381", "69389", "69123"),
                        ("13201", "13216", "13055"))  # fmt: skip

# Columns of the CSV sent: a chunk-local line number (echoed back, checks the answer's alignment),
# the address, the commune filter. None of them depends on run-local ids, so the same addresses
# make the same request and a stored answer is found again.
KEY_COLUMN = "key"
QUERY_COLUMN = "q"
FILTER_COLUMN = "citycode"
SENT_COLUMNS = (KEY_COLUMN, QUERY_COLUMN, FILTER_COLUMN)
# The result columns the decision reads (`result_label` only helps a human reading a stored answer).
RESULT_COLUMNS = (
    "result_label",
    "result_score",
    "result_score_next",
    "result_type",
    "result_id",
    "result_citycode",
    "result_oldcitycode",
    "result_status",
)
# Trap: Enedis `B` is bis or the letter b (volt.domain.street_types); the BAN id says which.
_REPS = {indice: tuple(r for i, r, _ in repetition_alternatives() if i == indice)
         for indice, _, _ in repetition_alternatives()}  # fmt: skip
# Scores arrive as decimal text: 0.85 − 0.80 is 0.0499999… in binary, which must pass a 0.05 margin.
MARGIN_TOLERANCE = 1e-9
# A leading house number and its index: glued (`13B`), spaced (`13 B`, `13 BIS`), zero-padded.
_NUMBER = re.compile(r"^0*(\d+)\s*([A-Z]*)$")
_LEADING_NUMBER = re.compile(r"^0*(\d+)(?:\s*(BIS|TER|QUATER|QUA|QUINQUIES|[A-Z])\b)?")


class AnswerError(ValueError):
    """An answer that is not what the geocoder answers (garbage, truncated, misaligned)."""


class Reason(StrEnum):
    """What became of one answer: decided (matched, ambiguous) or why it was left pending."""

    MATCHED = "matched"
    AMBIGUOUS = "ambiguous"
    NO_QUERY = "no_query"  # no house number or no commune: nothing worth asking
    NOT_FOUND = "not_found"
    SKIPPED = "skipped"
    ERROR = "error"
    NOT_HOUSENUMBER = "not_housenumber"
    LOW_SCORE = "low_score"
    NOT_BAN_ID = "not_ban_id"
    OTHER_COMMUNE = "other_commune"
    OTHER_NUMBER = "other_number"


class PendingAddress(NamedTuple):
    """One row of a pending table (volt.etl.geocode.base.PENDING_COLUMNS, in that order)."""

    row_id: int
    numero_de_voie: str | None
    indice_de_repetition: str | None
    type_de_voie: str | None
    libelle_de_voie: str | None
    adresse: str | None
    code_commune: str | None
    code_insee: str | None
    # The commune's name lifts the score of a right answer (the geocoder compares the query with
    # a label ending in the postcode and the city).
    nom_commune: str | None = None


@dataclass(frozen=True, order=True)
class Query:
    """One question to the geocoder. Not sent: where the answer must lie, the commune and the
    house number (`reps`: the BAN suffixes the row's index may stand for, "" = none)."""

    commune: str
    q: str
    citycode: str  # the filter sent; empty = no filter
    number: int
    reps: tuple[str, ...] = ("",)


@dataclass(frozen=True)
class Answer:
    """The geocoder's best candidate for one query, from either endpoint."""

    status: str  # ok | not-found | skipped | error
    result_type: str | None = None
    score: float | None = None
    score_next: float | None = None  # None: no runner-up
    result_id: str | None = None
    citycode: str | None = None
    oldcitycode: str | None = None


@dataclass(frozen=True)
class Decision:
    reason: Reason
    ban_id: str | None = None
    score: float | None = None
    candidates: int = 0

    @property
    def decided(self) -> bool:
        return self.reason in (Reason.MATCHED, Reason.AMBIGUOUS)


def plm_city(citycode: str | None) -> str | None:
    """Whole-city code of a Paris, Lyon or Marseille arrondissement, else None."""
    if citycode is None:
        return None
    for first, last, city in _PLM_ARRONDISSEMENTS:
        if first <= citycode <= last:
            return city
    return None


def query_for(row: PendingAddress) -> Query | None:
    """The query for one pending row, None when no house can be found for it."""
    parts = (row.numero_de_voie, row.indice_de_repetition, row.type_de_voie, row.libelle_de_voie)
    q = " ".join((row.adresse or "").split()) or " ".join(
        p.strip() for p in parts if p and p.strip()
    )
    # code_insee is the arrondissement silver read from the IRIS code; code_commune is the
    # whole-city code for Paris/Lyon/Marseille, which a BAN citycode filter never matches.
    commune = (row.code_insee or row.code_commune or "").strip()
    house = house_number(row.numero_de_voie, row.indice_de_repetition, q)
    # Without a number the geocoder can only answer a street, which is never accepted.
    if not commune or house is None:
        return None
    number, reps = house
    city = PLM_CITIES.get(commune)
    if city is not None:
        # Trap: a whole-city code as filter finds nothing; no filter, the city named in the query.
        return Query(commune, f"{q} {city}", "", number, reps)
    name = " ".join((row.nom_commune or "").split())
    return Query(commune, f"{q} {name}" if name else q, commune, number, reps)


def house_number(
    numero: str | None, indice: str | None, q: str
) -> tuple[int, tuple[str, ...]] | None:
    """(number, BAN suffixes the index may stand for) from the Enedis columns, else from the
    address's first words; None without a leading number."""
    found = _NUMBER.match((numero or "").strip().upper())
    if found is None:
        found = _LEADING_NUMBER.match(q.upper())
    if found is None:
        return None
    index = (indice or "").strip().upper() or (found[2] or "")
    return int(found[1]), _REPS.get(index, (index.lower(),))


def chunk_csv(queries: Sequence[Query]) -> bytes:
    """The CSV uploaded as `data`: one line per query, numbered from 0."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SENT_COLUMNS)
    for i, query in enumerate(queries):
        writer.writerow((i, query.q, query.citycode))
    return out.getvalue().encode("utf-8")


def search_csv_form() -> dict[str, str | list[str]]:
    """The multipart form fields sent with the CSV."""
    return {"columns": [QUERY_COLUMN], FILTER_COLUMN: FILTER_COLUMN,
            "result_columns": list(RESULT_COLUMNS)}  # fmt: skip


def request_key(path: str, data: bytes, form: Mapping[str, Any]) -> str:
    """sha256 of a request without its host: the same question to either root is the same key."""
    digest = hashlib.sha256()
    digest.update(f"POST {path}\n".encode())
    digest.update(json.dumps(form, sort_keys=True).encode())
    digest.update(b"\n")
    digest.update(data)
    return digest.hexdigest()


def parse_search_csv(body: bytes, expected_lines: int) -> list[Answer]:
    """Answers of a `/search/csv` response, line by line as sent; AnswerError if garbage."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnswerError(f"answer is not UTF-8 text: {exc}") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = reader.fieldnames or []
    missing = [
        c for c in (KEY_COLUMN, "result_score", "result_type", "result_id") if c not in header
    ]
    if missing:
        raise AnswerError(f"answer lacks the columns {missing} (header: {header[:6]})")
    answers: list[Answer] = []
    for i, row in enumerate(reader):
        if row.get(KEY_COLUMN) != str(i) or None in row:
            raise AnswerError(
                f"answer line {i + 1} is not the line sent (key {row.get(KEY_COLUMN)!r})"
            )
        if any(row[column] is None for column in header):
            # Trap: a body cut inside its last line (no length to tell) parses with the
            # missing columns as None: a `not-found` that would be stored for good.
            raise AnswerError(f"answer line {i + 1} is cut short")
        answers.append(answer_from_csv_row(row))
    if len(answers) != expected_lines:
        raise AnswerError(f"answer has {len(answers)} lines for {expected_lines} sent")
    return answers


def answer_from_csv_row(row: Mapping[str, str | None]) -> Answer:
    """One `/search/csv` answer line; columns absent from older recordings read as empty."""
    result_type = _text(row.get("result_type"))
    result_id = _text(row.get("result_id"))
    # Older answers carry no result_status: an answer with a result is `ok`.
    status = _text(row.get("result_status")) or ("ok" if result_type or result_id else "not-found")
    return Answer(
        status=status,
        result_type=result_type,
        score=_score(row.get("result_score")),
        score_next=_score(row.get("result_score_next")),
        result_id=result_id,
        citycode=_text(row.get("result_citycode")),
        oldcitycode=_text(row.get("result_oldcitycode")),
    )


def answer_from_geojson(payload: Any) -> Answer:
    """The answer of `GET /search?limit=2`: the first feature, the second one's score as next."""
    features = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(features, list):
        raise AnswerError("answer is not a GeoJSON FeatureCollection")
    if not features:
        return Answer(status="not-found")
    props = [f.get("properties") if isinstance(f, dict) else None for f in features[:2]]
    if not all(isinstance(p, dict) for p in props):
        raise AnswerError("a feature has no properties")
    best: dict[str, Any] = props[0]  # type: ignore[assignment]
    runner_up = props[1] if len(props) > 1 else None
    return Answer(
        status="ok",
        result_type=_text(best.get("type")),
        score=_score(best.get("score")),
        score_next=_score(runner_up.get("score")) if isinstance(runner_up, dict) else None,
        result_id=_text(best.get("id")),
        citycode=_text(best.get("citycode")),
        oldcitycode=_text(best.get("oldcitycode")),
    )


def decide(answer: Answer, query: Query, *, min_score: float, min_margin: float) -> Decision:
    """Accept the house number asked, in its commune, scoring high enough, ahead of the next."""
    if answer.status != "ok":
        reason = {"not-found": Reason.NOT_FOUND, "skipped": Reason.SKIPPED}.get(
            answer.status, Reason.ERROR
        )
        return Decision(reason)
    score = answer.score
    # Trap: a street or locality answer (`79 BOULEVARD LEADER` → the boulevard) names no house.
    if answer.result_type != "housenumber":
        return Decision(Reason.NOT_HOUSENUMBER, score=score)
    # Trap: the geocoder always answers something; scores go down to 0.5 for another street.
    if score is None or score < min_score:
        return Decision(Reason.LOW_SCORE, score=score)
    ban_id = normalise_ban_housenumber_id(answer.result_id)
    if ban_id is None:
        return Decision(Reason.NOT_BAN_ID, score=score)
    if not _same_commune(query.commune, answer.citycode, answer.oldcitycode):
        return Decision(Reason.OTHER_COMMUNE, score=score)
    # Trap: an index the geocoder does not know is dropped (`15 A` answers 15): another door.
    if not _same_number(ban_id, query):
        return Decision(Reason.OTHER_NUMBER, score=score)
    # Trap: two candidates almost equally good; only a margin over the runner-up decides.
    if answer.score_next is not None and score - answer.score_next < min_margin - MARGIN_TOLERANCE:
        return Decision(Reason.AMBIGUOUS, score=score, candidates=2)
    return Decision(Reason.MATCHED, ban_id=ban_id, score=score, candidates=1)


def _same_commune(commune: str, citycode: str | None, oldcitycode: str | None) -> bool:
    # The whole-city code (PLM, no filter sent) accepts its arrondissements; a commune déléguée
    # that Enedis still publishes under is the answer's former commune.
    return commune in (citycode, oldcitycode) or (
        commune in PLM_CITIES and plm_city(citycode) == commune
    )


def _same_number(ban_id: str, query: Query) -> bool:
    parts = ban_id.split("_", 3)
    rep = parts[3].lower() if len(parts) > 3 else ""
    return int(parts[2]) == query.number and rep in query.reps


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _score(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        score = float(str(value).strip())
    except ValueError:
        return None
    return score if math.isfinite(score) else None
