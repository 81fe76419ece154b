-- The file geocoder's three methods and its decisions. Inputs: geo_pending_keys/_streets,
-- geo_ban_keys/_streets and the variables geo_fuzzy_threshold, geo_fuzzy_margin,
-- geo_score_no_type, geo_score_fuzzy.
-- Output: geo_ban_file_decisions, one row per pending row that has candidates.

-- Methods 1 and 2 compare street names once per pair of distinct names, then join addresses on
-- (commune, numéro, rep, BAN street). Every pending row is tried by both; the decision keeps the
-- first method that found something.
CREATE OR REPLACE TEMP TABLE geo_street_pairs AS
SELECT e.esid, b.sid, 1 AS method_rank
FROM geo_pending_streets AS e
JOIN geo_ban_streets AS b ON b.street_full = e.street_full
UNION ALL
-- Trap: the type is missing on one side (Enedis blank, BAN lieu-dit) or differs (`RUE`/`AVENUE`).
-- A name that is only a type (`GRANDE RUE`) has an empty rest and must not match every street.
SELECT e.esid, b.sid, 2
FROM geo_pending_streets AS e
JOIN geo_ban_streets AS b ON b.rest = e.rest
WHERE e.rest <> '';

CREATE OR REPLACE TEMP TABLE geo_candidates AS
SELECT p._row_id, sp.method_rank, b.id, b.commune_rank, p.rep_rank, 1.0::DOUBLE AS sim,
       sp.method_rank = 1 AS same_type
FROM geo_pending_keys AS p
JOIN geo_street_pairs AS sp ON sp.esid = p.esid
JOIN geo_ban_keys AS b
  ON b.commune = p.code_insee AND b.numero = p.numero AND b.rep = p.rep AND b.sid = sp.sid;

-- Method 3, only for rows the equalities left without candidates. Trap: typos, dropped particles
-- and glued words; same commune, number and index, name similarity above the threshold.
INSERT INTO geo_candidates
WITH todo AS (
    SELECT * FROM geo_pending_keys AS p
    WHERE NOT EXISTS (SELECT 1 FROM geo_candidates AS c WHERE c._row_id = p._row_id)
), nearby AS (
    SELECT p._row_id, p.esid, b.sid, b.id, b.commune_rank, p.rep_rank
    FROM todo AS p
    JOIN geo_ban_keys AS b
      ON b.commune = p.code_insee AND b.numero = p.numero AND b.rep = p.rep
), scored AS (
    -- One similarity per pair of distinct names, however many addresses share it; the name
    -- without spaces catches a particle glued or misspelt (`DUSTADE`, `DS ROSES`).
    SELECT pair.esid, pair.sid,
           greatest(jaro_winkler_similarity(e.core, b.core),
                    jaro_winkler_similarity(e.squashed, b.squashed)) AS sim,
           e.type_full IS NOT DISTINCT FROM b.type_full AS same_type
    FROM (SELECT DISTINCT esid, sid FROM nearby) AS pair
    JOIN geo_pending_streets AS e ON e.esid = pair.esid
    JOIN geo_ban_streets AS b ON b.sid = pair.sid
    WHERE e.core <> '' AND b.core <> ''
)
SELECT n._row_id, 3, n.id, n.commune_rank, n.rep_rank, s.sim, s.same_type
FROM nearby AS n
JOIN scored AS s ON s.esid = n.esid AND s.sid = n.sid
WHERE s.sim >= getvariable('geo_fuzzy_threshold');

CREATE OR REPLACE TEMP TABLE geo_ban_file_decisions AS
WITH ranked AS (
    -- The first method with candidates; within it the row's own commune before a former
    -- commune or the whole city, and `bis` before the letter b.
    SELECT *, rank() OVER (PARTITION BY _row_id
                           ORDER BY method_rank, commune_rank, rep_rank) AS r
    FROM geo_candidates
), ids AS (
    SELECT _row_id, method_rank, id, max(sim) AS sim, bool_or(same_type) AS same_type
    FROM ranked WHERE r = 1
    GROUP BY ALL
), kept AS (
    -- Trap: two BAN streets almost equally close; only a margin over the second best decides.
    SELECT *, count(*) OVER w AS n, count(*) FILTER (WHERE same_type) OVER w AS n_same
    FROM (SELECT *, max(sim) OVER (PARTITION BY _row_id) AS best FROM ids)
    WHERE sim >= best - getvariable('geo_fuzzy_margin')
    WINDOW w AS (PARTITION BY _row_id)
), decided AS (
    -- Several streets left: the one with the row's street type wins if it is the only one.
    SELECT _row_id, any_value(method_rank) AS method_rank, any_value(n) AS n,
           CASE WHEN any_value(n) = 1 THEN any_value(id)
                WHEN any_value(n_same) = 1 THEN any_value(id) FILTER (WHERE same_type) END AS ban_id,
           CASE WHEN any_value(n) = 1 THEN any_value(sim)
                WHEN any_value(n_same) = 1 THEN any_value(sim) FILTER (WHERE same_type) END AS sim
    FROM kept
    GROUP BY _row_id
)
SELECT _row_id,
       ban_id,
       CASE WHEN ban_id IS NULL THEN 'ambiguous' ELSE 'matched' END AS geocode_status,
       CASE method_rank WHEN 1 THEN 'ban_file:exact' WHEN 2 THEN 'ban_file:street_no_type'
                        ELSE 'ban_file:fuzzy' END AS geocode_method,
       CASE WHEN ban_id IS NULL THEN NULL
            WHEN method_rank = 1 THEN 1.0
            WHEN method_rank = 2 THEN getvariable('geo_score_no_type')
            ELSE round(getvariable('geo_score_fuzzy') * sim, 4) END::DOUBLE AS geocode_score,
       n::INTEGER AS geocode_candidates
FROM decided;

DROP TABLE geo_candidates;
DROP TABLE geo_street_pairs;
