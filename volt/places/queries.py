"""SQL of the place routes (reader pool), and the typed rows it returns.

Search goes through the trigram indexes on `volt_unaccent(communes.nom)` and
`volt_unaccent(areas.name)` (migration 0002): each WHERE repeats the indexed expression
exactly, or PostgreSQL reads the whole table. Addresses are found from their streets
(buildings_street_idx), so they need no index of their own.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

import psycopg
from psycopg.rows import TupleRow

from volt.db.rows import named_row

AsyncConn = psycopg.AsyncConnection[TupleRow]
Row = TypeVar("Row", bound=tuple[Any, ...])


class HitRow(NamedTuple):  # in the SELECT's column order (named_row checks it)
    type_rank: int  # 1 commune, 2 street, 3 address
    code: str
    name: str
    code_insee: str | None
    commune_nom: str | None
    code_departement: str | None
    n_buildings: int | None
    n_dwellings: int | None
    n_dpe: int | None
    building_label: str | None
    score: float


class CommuneRow(NamedTuple):  # in the SELECT's column order (named_row checks it)
    code_insee: str
    nom: str | None
    code_departement: str | None
    code_region: str | None
    code_epci: str | None
    nom_epci: str | None
    lon: float | None
    lat: float | None
    annee: int | None  # None: no commune row in `areas` (Enedis publishes no address there)
    # The count metrics of volt.domain.metrics (COUNT_COLUMNS), as GET /v1/stats reads them.
    n_buildings: int | None
    n_dwellings: int | None
    n_dpe: int | None
    n_dpe_dwelling: int | None
    elec_n_buildings: int | None
    elec_n_dwellings: int | None
    elec_n_dpe: int | None


async def fetch_all(
    conn: AsyncConn, query: str, params: dict[str, Any], row: type[Row]
) -> list[Row]:
    async with conn.cursor(row_factory=named_row(row)) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchall()


# Candidates, each kind through its trigram index (`volt_unaccent(...)` written as indexed):
# - names holding every word of the query, in order (ILIKE '%rue%de%la%gare%': the index needs
#   all their trigrams, so exact and word matches are found however common the words are);
# - near spellings: `<%`, the query's trigrams found in a stretch of the name (word_similarity
#   ≥ 0.6, pg_trgm's default: "canes" → Cannes, "carnot" → Boulevard du Président Carnot);
# - streets of a commune the query ends or starts with ("bd carnot cannes"), by the rest of it.
# A word as common as "rue" or "saint" alone matches a good part of France: each of the first
# two ways keeps at most `cap` rows, unranked, so that such a query stays fast (the user then
# adds a word or the commune). Addresses come only with a house number, on the streets found.
# Ranking: tier 0 exact name (alone or followed by its commune, "boulevard carnot cannes"),
# 1 name starting with the query, 2 a word of the name starting with it, 3 near spellings only;
# then similarity. Equally close, communes come before streets before addresses: the broader
# place is the likelier intent (typing "Le Cannet" means the commune more often than a street
# of that name), and it leads on to the narrower ones.
SEARCH_PLACES_SQL = """
WITH commune_found AS (
    (SELECT code_insee FROM communes
     WHERE volt_unaccent(nom) ILIKE %(all_words)s::text LIMIT %(cap)s)
    UNION
    (SELECT code_insee FROM communes
     WHERE %(q)s::text <%% volt_unaccent(nom) LIMIT %(cap)s)
),
context AS (
    SELECT c.code_insee, s.head
    FROM unnest(%(heads)s::text[], %(tails)s::text[]) AS s(head, tail)
    -- The whole name, any punctuation between the words ("saint%%etienne"), then exactly.
    JOIN communes AS c ON volt_unaccent(c.nom) ILIKE replace(s.tail, ' ', '%%')
    WHERE btrim(regexp_replace(lower(volt_unaccent(c.nom)), '[^a-z0-9]+', ' ', 'g')) = s.tail
),
street_found AS (
    (SELECT code, annee FROM areas
     WHERE level = 'street' AND volt_unaccent(name) ILIKE %(street_words)s::text
     LIMIT %(cap)s)
    UNION
    (SELECT code, annee FROM areas
     WHERE level = 'street' AND %(street)s::text <%% volt_unaccent(name)
     LIMIT %(cap)s)
    UNION
    SELECT s.code, s.annee
    FROM context AS x
    JOIN areas AS s ON s.level = 'street' AND s.parent_code = x.code_insee
    WHERE x.head <%% volt_unaccent(s.name)
),
streets AS (
    SELECT DISTINCT ON (s.code) s.code, s.name, s.parent_code, s.n_buildings, s.n_dwellings
    FROM street_found AS f
    JOIN areas AS s ON s.level = 'street' AND s.code = f.code AND s.annee = f.annee
    ORDER BY s.code, s.annee DESC
),
found AS (
    SELECT 1 AS type_rank, c.code_insee AS code, c.nom AS name, NULL::text AS context,
           c.code_insee, c.nom AS commune_nom, c.code_departement,
           a.n_buildings, a.n_dwellings, NULL::integer AS n_dpe, NULL::text AS building_label
    FROM commune_found
    JOIN communes AS c USING (code_insee)
    LEFT JOIN LATERAL (
        SELECT n_buildings, n_dwellings FROM areas
        WHERE level = 'commune' AND code = c.code_insee
        ORDER BY annee DESC LIMIT 1
    ) AS a ON true
    UNION ALL
    SELECT 2, s.code, s.name, c.nom, s.parent_code, c.nom, c.code_departement,
           s.n_buildings, s.n_dwellings, NULL::integer, NULL::text
    FROM streets AS s
    LEFT JOIN communes AS c ON c.code_insee = s.parent_code
    UNION ALL
    SELECT * FROM (
        SELECT DISTINCT ON (b.ban_id)
               3, b.ban_id,
               -- The BAN id's 4th part is the repetition index (bis, ter…), not in `numero`.
               concat_ws(' ', b.numero, NULLIF(split_part(b.ban_id, '_', 4), ''), b.nom_voie),
               c.nom, b.code_insee, c.nom, c.code_departement,
               1, b.n_dwellings, b.n_dpe, b.building_label
        FROM streets AS s
        JOIN buildings AS b ON b.street_code = s.code AND b.numero = ANY(%(numbers)s::text[])
        LEFT JOIN communes AS c ON c.code_insee = b.code_insee
        ORDER BY b.ban_id, b.annee DESC
    ) AS addresses
),
ranked AS (
    SELECT f.*,
           CASE WHEN %(q)s::text IN (n.name_norm, n.full_norm) THEN 0
                WHEN n.full_norm LIKE %(q)s::text || '%%' THEN 1
                WHEN ' ' || n.full_norm LIKE '%% ' || %(q)s::text || '%%' THEN 2
                ELSE 3 END AS tier,
           greatest(similarity(n.name_norm, %(q)s::text),
                    similarity(n.full_norm, %(q)s::text)) AS score
    FROM found AS f
    -- The query arrives folded the same way (lower-case ASCII words, single spaces).
    CROSS JOIN LATERAL (
        SELECT btrim(regexp_replace(lower(volt_unaccent(f.name)), '[^a-z0-9]+', ' ', 'g'))
                   AS name_norm,
               btrim(regexp_replace(lower(volt_unaccent(concat_ws(' ', f.name, f.context))),
                                    '[^a-z0-9]+', ' ', 'g')) AS full_norm
    ) AS n
)
SELECT type_rank, code, name, code_insee, commune_nom, code_departement,
       n_buildings, n_dwellings, n_dpe, building_label, score
FROM ranked
ORDER BY tier, score DESC, type_rank, name, code
LIMIT %(limit)s
"""

_COMMUNE_COLUMNS = """
SELECT c.code_insee, c.nom, c.code_departement, c.code_region, c.code_epci, c.nom_epci,
       c.lon, c.lat, a.annee, a.n_buildings, a.n_dwellings, a.n_dpe, a.n_dpe_dwelling,
       a.elec_n_buildings, a.elec_n_dwellings, a.elec_n_dpe
"""
# The commune's latest year (areas' primary key (level, code, annee) serves it backwards).
_LATEST_FIGURES = """
LEFT JOIN LATERAL (
    SELECT annee, n_buildings, n_dwellings, n_dpe, n_dpe_dwelling,
           elec_n_buildings, elec_n_dwellings, elec_n_dpe
    FROM areas
    WHERE level = 'commune' AND code = c.code_insee
    ORDER BY annee DESC LIMIT 1
) AS a ON true
"""

GET_COMMUNE_SQL = f"""
{_COMMUNE_COLUMNS}
FROM communes AS c
{_LATEST_FIGURES}
WHERE c.code_insee = %(code_insee)s
"""

# Keyset pages on code_insee: `after` is the last code of the previous page ('' for the first,
# below every code). Two statements rather than `(%(dep)s IS NULL OR …)`: a prepared generic
# plan could not use the département index for that.
LIST_COMMUNES_SQL = f"""
{_COMMUNE_COLUMNS}
FROM communes AS c
{_LATEST_FIGURES}
WHERE c.code_insee > %(after)s
ORDER BY c.code_insee
LIMIT %(limit)s
"""

LIST_DEPARTEMENT_COMMUNES_SQL = f"""
{_COMMUNE_COLUMNS}
FROM communes AS c
{_LATEST_FIGURES}
WHERE c.code_departement = %(departement)s AND c.code_insee > %(after)s
ORDER BY c.code_insee
LIMIT %(limit)s
"""
