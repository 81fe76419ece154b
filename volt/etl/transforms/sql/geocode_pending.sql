-- The Enedis side of the file geocoder. Input: variable geo_pending (table/view of pending rows).
-- Outputs: geo_pending_streets (distinct streets, normalised like the BAN's) and
-- geo_pending_keys (one row per pending row and acceptable BAN rep, pointing at its street).

CREATE OR REPLACE TEMP TABLE geo_pending_streets_in AS
SELECT DISTINCT concat_ws(' ', type_de_voie, libelle_de_voie) AS street
FROM query_table(getvariable('geo_pending'));

CREATE OR REPLACE TEMP TABLE geo_pending_streets AS
SELECT row_number() OVER () AS esid, * FROM geo_street_keys('geo_pending_streets_in');

-- rep_rank 0 is preferred. Trap: `B` is bis or the letter b; an index glued to the number
-- (`13B`) is read when the index column is empty.
CREATE OR REPLACE TEMP TABLE geo_pending_keys AS
WITH p AS (
    SELECT _row_id, code_insee, geo_numero(numero_de_voie) AS numero,
           COALESCE(NULLIF(upper(trim(indice_de_repetition)), ''),
                    geo_glued_indice(numero_de_voie), '') AS indice,
           concat_ws(' ', type_de_voie, libelle_de_voie) AS street
    FROM query_table(getvariable('geo_pending'))
)
SELECT p._row_id, p.code_insee, p.numero,
       COALESCE(r.rep, lower(p.indice)) AS rep, COALESCE(r.rank, 0) AS rep_rank, s.esid
FROM p
JOIN geo_pending_streets AS s ON s.street = p.street
LEFT JOIN geo_rep_alternatives AS r ON r.indice = p.indice
WHERE p.numero IS NOT NULL AND p.code_insee IS NOT NULL;

DROP TABLE geo_pending_streets_in;
