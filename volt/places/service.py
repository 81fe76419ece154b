"""Place logic: the search text, the hits' one-line summaries, and communes with their counts.

A commune's counts are published as the statistics routes publish them (always: DESIGN §3); its
suppressible figures are left to those routes, linked from it. Two routes applying two sets of
rules to one commune's labels could be compared to recover a hidden cell.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from volt.api.data import CurrentLoad, Prebuilt
from volt.domain.metrics import COUNT_COLUMNS
from volt.domain.privacy import Thresholds
from volt.domain.street_types import STREET_TYPES, STREET_WORDS
from volt.errors import NotFoundError
from volt.places import queries
from volt.places.queries import AsyncConn, CommuneRow, HitRow
from volt.places.schemas import (
    CommuneBase,
    CommuneCounts,
    CommuneFigures,
    CommuneLinks,
    CommunePage,
    CommuneRead,
    CommuneRef,
    PlaceHit,
    PlaceSearchRead,
    PlaceType,
)

# Abbreviations people type, expanded in the query only (names are stored as the BAN spells them,
# in full). Only those that are no common word or name prefix of their own: not `car`
# (carrefour), `mar`, `port`, `col`, `lot`, nor the numbers written as words (`neuf`, `sept`).
# fmt: off
QUERY_ABBREVIATIONS = frozenset((
    "AV", "AVE", "BD", "BLD", "BOUL", "CHE", "CHEM", "IMP", "PL", "RTE", "SQ", "FG", "R", "PROM",
    "QU", "RES", "ESP", "MTE", "PTE", "TRA", "VLA", "RPT", "ALL",  # street types
    "ST", "STE", "GAL", "GEN", "MAL", "PDT", "PRES", "DR", "CDT", "ND",  # titles and saints
))
# fmt: on
_EXPANSIONS = {
    abbreviation.lower(): full.lower()
    for abbreviation, full in STREET_TYPES + STREET_WORDS
    if abbreviation in QUERY_ABBREVIATIONS
}
# Latin letters NFKD leaves whole but unaccent() folds (the database side folds with unaccent).
_UNACCENT_EXTRA = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l"}
    | {"Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "Þ": "TH"}
)
_WORD = re.compile(r"[a-z0-9]+")
MIN_SEARCH_CHARS = 2


def search_text(raw: str) -> str:
    """The query as the database compares it: accents folded, lower case, words of letters and
    digits separated by one space, typed abbreviations expanded ("Bd" → "boulevard"). Empty when
    fewer than 2 letters or digits are left (punctuation, other scripts): nothing to search."""
    folded = unicodedata.normalize("NFKD", raw.translate(_UNACCENT_EXTRA))
    words = _WORD.findall(folded.encode("ascii", "ignore").decode().lower())
    if sum(len(word) for word in words) < MIN_SEARCH_CHARS:
        return ""
    return " ".join(_EXPANSIONS.get(word, word) for word in words)


# A common word alone ("rue", "saint") matches a large part of France: past this many rows per
# way of finding them, candidates are cut unranked. Measured on 34 k communes, 570 k street rows
# and 1 M buildings: every query under 30 ms, "rue" alone included (4 s uncut).
CANDIDATES = 200
# A commune named by the query's last (or first) 1…3 words: "bd carnot le cannet".
CONTEXT_WORDS = 3
REPETITIONS = frozenset(("bis", "ter", "quater", "quinquies"))


def search_params(text: str, limit: int) -> dict[str, Any]:
    """The search's SQL parameters: the whole text (communes, ranking), its street part (house
    numbers and their bis/ter left out), the numbers, and the commune splits."""
    words = text.split()
    numbers = [str(int(w)) for w in words if w.isdigit()]  # BAN numbers have no leading zero
    street = [
        w
        for i, w in enumerate(words)
        if not w.isdigit() and not (w in REPETITIONS and i > 0 and words[i - 1].isdigit())
    ]
    splits = [
        split
        for k in range(1, min(CONTEXT_WORDS, len(street) - 1) + 1)
        for split in ((street[:-k], street[-k:]), (street[k:], street[:k]))
    ]
    return {
        "q": text,
        "all_words": _all_words(words),
        "street": " ".join(street) or None,
        "street_words": _all_words(street),
        "numbers": numbers,
        "heads": [" ".join(head) for head, _ in splits],
        "tails": [" ".join(tail) for _, tail in splits],
        "cap": CANDIDATES,
        "limit": limit,
    }


def _all_words(words: list[str]) -> str | None:
    """ILIKE pattern of names holding these words in order; None when no word has 3 characters:
    a pattern without a whole trigram would make the index read every entry."""
    return "%" + "%".join(words) + "%" if any(len(w) >= 3 for w in words) else None


async def search_places(
    conn: AsyncConn, load: CurrentLoad, text: str, *, limit: int, thresholds: Thresholds
) -> PlaceSearchRead:
    rows: list[HitRow] = []
    if text:  # without a trigram the indexes cannot help: nothing to look for anyway
        params = search_params(text, limit)
        rows = await queries.fetch_all(conn, queries.SEARCH_PLACES_SQL, params, HitRow)
    return PlaceSearchRead(
        data_version=load.data_version,
        sources=load.sources,
        query=text,
        items=[_hit(row, thresholds) for row in rows],
    )


_TYPES = {1: PlaceType.COMMUNE, 2: PlaceType.STREET, 3: PlaceType.ADDRESS}


def _hit(row: HitRow, thresholds: Thresholds) -> PlaceHit:
    kind = _TYPES[row.type_rank]
    commune = (
        None
        if row.code_insee is None
        else CommuneRef(code_insee=row.code_insee, nom=row.commune_nom)
    )
    return PlaceHit(
        type=kind,
        code=row.code,
        name=row.name,
        commune=commune,
        summary=summary(kind, row, thresholds),
        score=round(row.score, 3),
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def summary(kind: PlaceType, row: HitRow, thresholds: Thresholds) -> str:
    """One line from the published figures; a figure below the thresholds is left out."""
    dwellings = row.n_dwellings or 0
    shown = dwellings >= thresholds.min_dwellings
    place = row.commune_nom or row.code_insee or "an unknown commune"
    if kind is PlaceType.COMMUNE:
        head = f"Commune, {row.code_departement}" if row.code_departement else "Commune"
        if dwellings == 0:
            return f"{head} — no address published by Enedis"
        if not shown:
            return f"{head} — fewer than {thresholds.min_dwellings} dwellings metered by Enedis"
        return f"{head} — {_count(dwellings, 'dwelling')} metered by Enedis"
    if kind is PlaceType.STREET:
        figures = f" — {_count(row.n_buildings or 0, 'building')}" if shown else ""
        return f"Street in {place}{figures}"
    figures = f" — {_count(dwellings, 'dwelling')}" if shown else ""
    # One building's label from fewer than min_dpe DPE would be those few dwellings' own label.
    if shown and row.building_label and (row.n_dpe or 0) >= thresholds.min_dpe:
        figures += f", DPE label {row.building_label}"
    return f"Address in {place}{figures}"


def figures(row: CommuneRow) -> CommuneFigures:
    """The commune's counts as GET /v1/stats/commune publishes them: every count metric of the
    registry, as it is (NULL read as 0, as there)."""
    counts = CommuneCounts(**{column: int(getattr(row, column) or 0) for column in COUNT_COLUMNS})
    return CommuneFigures(annee=row.annee, counts=counts)


# The statistics routes' paths (volt/stats/endpoints.py under the /v1 prefix): features do not
# import each other, so the paths are written here.
STATS_COMMUNE_PATH = "/v1/stats/commune"


def links(row: CommuneRow) -> CommuneLinks:
    return CommuneLinks(**_link_values(row))


def _link_values(row: CommuneRow) -> dict[str, str | None]:
    """The commune's statistics for the year of its figures (those routes default to other
    years: the load's latest for the list). None without a year: they would answer 404."""
    if row.annee is None:
        return {"stats": None, "labels": None, "dpe_vs_metered": None}
    # A code INSEE is digits and A/B, a year an integer: nothing to escape (urlencode was a
    # tenth of a 50-commune page).
    code, year = row.code_insee, f"year={int(row.annee)}"
    return {
        "stats": f"{STATS_COMMUNE_PATH}?code={code}&{year}",
        "labels": f"{STATS_COMMUNE_PATH}/{code}/labels?{year}",
        "dpe_vs_metered": f"{STATS_COMMUNE_PATH}/{code}/dpe-vs-metered?{year}",
    }


def _identity(row: CommuneRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CommuneBase.model_fields}


async def get_commune(conn: AsyncConn, load: CurrentLoad, code_insee: str) -> CommuneRead:
    params = {"code_insee": code_insee}
    rows = await queries.fetch_all(conn, queries.GET_COMMUNE_SQL, params, CommuneRow)
    if not rows:
        raise NotFoundError(
            f"No commune with INSEE code {code_insee}.",
            hint="Find its code with GET /v1/places/search?q=<name>.",
        )
    row = rows[0]
    return CommuneRead(
        data_version=load.data_version,
        sources=load.sources,
        **_identity(row),
        figures=figures(row),
        links=links(row),
    )


async def list_communes(
    conn: AsyncConn,
    load: CurrentLoad,
    *,
    departement: str | None,
    limit: int,
    after: str | None,
) -> Prebuilt:
    """A CommunePage as plain JSON values (volt.api.data.Prebuilt): our own rows, 50 a page."""
    params = {"departement": departement, "after": after or "", "limit": limit + 1}
    sql = (
        queries.LIST_COMMUNES_SQL if departement is None else queries.LIST_DEPARTEMENT_COMMUNES_SQL
    )
    rows = await queries.fetch_all(conn, sql, params, CommuneRow)
    items = [_list_item(row) for row in rows[:limit]]
    data = {
        "data_version": load.data_version,
        "sources": load.sources,
        "items": items,
        "next": items[-1]["code_insee"] if len(rows) > limit else None,  # limit ≥ 1
    }
    return Prebuilt(data, CommunePage)


_IDENTITY = tuple(CommuneBase.model_fields)


def _list_item(row: CommuneRow) -> dict[str, Any]:
    """A CommuneListItem as JSON values, in its fields' order."""
    item: dict[str, Any] = {name: getattr(row, name) for name in _IDENTITY}
    counts = {column: int(getattr(row, column) or 0) for column in COUNT_COLUMNS}
    item["figures"] = {"annee": row.annee, "counts": counts}
    item["links"] = _link_values(row)
    return item
