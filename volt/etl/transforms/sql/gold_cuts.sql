-- Gold area cuts: per area from the commune up, year, DPE dimension and value (volt.domain.cuts),
-- the DPE count, the label mixes and the vigintiles of the consumption per m².
-- Inputs: g_buildings, g_dpe (with its cut slugs), the cut_* macros (cut_values.py).
-- Output: table g_area_cuts.

-- Places: each distinct chain of area codes that buildings carry, with an integer per level's
-- code, so that the statements below group by integers, not strings (a third faster; the
-- slugs are one-byte ENUMs for the same reason, see cut_slug).
CREATE OR REPLACE TEMP TABLE g_cut_places AS
SELECT
    row_number() OVER ()::INTEGER AS place,
    code_insee, code_epci, code_departement, code_region,
    CASE WHEN code_insee IS NOT NULL THEN dense_rank() OVER (ORDER BY code_insee) END
        ::INTEGER AS commune_id,
    CASE WHEN code_epci IS NOT NULL THEN dense_rank() OVER (ORDER BY code_epci) END
        ::INTEGER AS epci_id,
    CASE WHEN code_departement IS NOT NULL THEN dense_rank() OVER (ORDER BY code_departement) END
        ::INTEGER AS departement_id,
    CASE WHEN code_region IS NOT NULL THEN dense_rank() OVER (ORDER BY code_region) END
        ::INTEGER AS region_id
FROM (SELECT DISTINCT code_insee, code_epci, code_departement, code_region FROM g_buildings);

-- The population of areas.n_dpe: every DPE in use at each building (building-wide immeuble DPE
-- included), once per building-year.
CREATE OR REPLACE TEMP TABLE g_cut_values AS
SELECT
    p.place, p.commune_id, p.epci_id, p.departement_id, p.region_id, b.annee,
    cut_etiquette(d.etiquette_dpe) AS etiquette, d.type_batiment, d.periode, d.energie,
    cut_label_rank(d.etiquette_dpe) AS label_rank,
    cut_label_rank(d.etiquette_ges) AS ges_rank,
    cut_label_rank(d.label_recomputed) AS recomputed_rank,
    d.ep, d.ef
FROM g_buildings AS b
-- A building without an EPCI (…) code has a place all the same: it counts in its other levels.
JOIN g_cut_places AS p
    ON  p.code_insee IS NOT DISTINCT FROM b.code_insee
    AND p.code_epci IS NOT DISTINCT FROM b.code_epci
    AND p.code_departement IS NOT DISTINCT FROM b.code_departement
    AND p.code_region IS NOT DISTINCT FROM b.code_region
JOIN g_dpe AS d ON d.ban_id = b.ban_id;

-- Counts and label mixes are sums: computed once per place, year and cut (GROUPING SETS hold
-- counters, not values), then summed up to each level.
CREATE OR REPLACE TEMP TABLE g_cut_counts AS
SELECT
    place,
    annee,
    CASE GROUPING(etiquette, type_batiment, periode, energie)
        WHEN 15 THEN 'all' WHEN 7 THEN 'etiquette_dpe' WHEN 11 THEN 'type_batiment'
        WHEN 13 THEN 'periode_construction' WHEN 14 THEN 'energie_chauffage' END AS dimension,
    CASE GROUPING(etiquette, type_batiment, periode, energie)
        WHEN 15 THEN cut_slug('all') WHEN 7 THEN etiquette WHEN 11 THEN type_batiment
        WHEN 13 THEN periode WHEN 14 THEN energie END AS value,
    count(*) AS n_dpe,
    count_if(label_rank = 1) AS n_label_a,
    count_if(label_rank = 2) AS n_label_b,
    count_if(label_rank = 3) AS n_label_c,
    count_if(label_rank = 4) AS n_label_d,
    count_if(label_rank = 5) AS n_label_e,
    count_if(label_rank = 6) AS n_label_f,
    count_if(label_rank = 7) AS n_label_g,
    count_if(ges_rank = 1) AS n_ges_a,
    count_if(ges_rank = 2) AS n_ges_b,
    count_if(ges_rank = 3) AS n_ges_c,
    count_if(ges_rank = 4) AS n_ges_d,
    count_if(ges_rank = 5) AS n_ges_e,
    count_if(ges_rank = 6) AS n_ges_f,
    count_if(ges_rank = 7) AS n_ges_g,
    count_if(recomputed_rank = 1) AS n_label_recomputed_a,
    count_if(recomputed_rank = 2) AS n_label_recomputed_b,
    count_if(recomputed_rank = 3) AS n_label_recomputed_c,
    count_if(recomputed_rank = 4) AS n_label_recomputed_d,
    count_if(recomputed_rank = 5) AS n_label_recomputed_e,
    count_if(recomputed_rank = 6) AS n_label_recomputed_f,
    count_if(recomputed_rank = 7) AS n_label_recomputed_g
FROM g_cut_values
GROUP BY GROUPING SETS ((place, annee), (place, annee, etiquette), (place, annee, type_batiment),
                        (place, annee, periode), (place, annee, energie));

CREATE OR REPLACE MACRO g_cut_counts_level(lvl) AS TABLE
SELECT lvl AS level, code, annee, dimension, value::VARCHAR AS value,
       sum(COLUMNS('^n_(dpe|label|ges|label_recomputed)(_[a-g])?$'))
FROM (
    SELECT
        CASE lvl WHEN 'commune' THEN p.code_insee
                 WHEN 'epci' THEN p.code_epci
                 WHEN 'departement' THEN p.code_departement
                 WHEN 'region' THEN p.code_region
                 ELSE 'FR' END AS code,
        c.*
    FROM g_cut_counts AS c
    JOIN g_cut_places AS p USING (place)
)
WHERE code IS NOT NULL
GROUP BY code, annee, dimension, value;

-- Vigintiles: one level and one dimension at a time. Quantiles are holistic (every value is
-- held until its group ends): grouping sets over the five dimensions would hold each value
-- five times (and took as long as five passes, measured). The values are every DPE of the cut
-- with a value, building-wide (immeuble) DPE included, as the contract says (areas' DPE
-- statistics keep to dwelling DPE with a surface).
CREATE OR REPLACE MACRO g_cut_quantiles(lvl, dim) AS TABLE
SELECT
    lvl AS level,
    id,
    annee,
    dim AS dimension,
    value,
    count(ep) AS n_ep,
    quantile_cont(ep, cut_vigintiles()) AS ep_q,
    count(ef) AS n_ef,
    quantile_cont(ef, cut_vigintiles()) AS ef_q
FROM (
    SELECT
        CASE lvl WHEN 'commune' THEN commune_id
                 WHEN 'epci' THEN epci_id
                 WHEN 'departement' THEN departement_id
                 WHEN 'region' THEN region_id
                 ELSE 1 END AS id,
        annee,
        CASE dim WHEN 'etiquette_dpe' THEN etiquette
                 WHEN 'type_batiment' THEN type_batiment
                 WHEN 'periode_construction' THEN periode
                 WHEN 'energie_chauffage' THEN energie
                 ELSE cut_slug('all') END AS value,
        ep,
        ef
    FROM g_cut_values
)
WHERE id IS NOT NULL
GROUP BY id, annee, value;

CREATE OR REPLACE TEMP TABLE g_cut_q AS SELECT * FROM g_cut_quantiles('commune', 'all');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('commune', 'etiquette_dpe');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('commune', 'type_batiment');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('commune', 'periode_construction');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('commune', 'energie_chauffage');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('epci', 'all');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('epci', 'etiquette_dpe');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('epci', 'type_batiment');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('epci', 'periode_construction');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('epci', 'energie_chauffage');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('departement', 'all');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('departement', 'etiquette_dpe');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('departement', 'type_batiment');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('departement', 'periode_construction');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('departement', 'energie_chauffage');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('region', 'all');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('region', 'etiquette_dpe');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('region', 'type_batiment');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('region', 'periode_construction');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('region', 'energie_chauffage');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('france', 'all');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('france', 'etiquette_dpe');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('france', 'type_batiment');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('france', 'periode_construction');
INSERT INTO g_cut_q SELECT * FROM g_cut_quantiles('france', 'energie_chauffage');
DROP TABLE g_cut_values;

-- Each level's integer ids and codes.
CREATE OR REPLACE TEMP TABLE g_cut_codes AS
SELECT DISTINCT 'commune' AS level, commune_id AS id, code_insee AS code FROM g_cut_places
UNION ALL SELECT DISTINCT 'epci', epci_id, code_epci FROM g_cut_places
UNION ALL SELECT DISTINCT 'departement', departement_id, code_departement FROM g_cut_places
UNION ALL SELECT DISTINCT 'region', region_id, code_region FROM g_cut_places
UNION ALL SELECT 'france', 1, 'FR';

-- Every non-empty cut (its counts) with its vigintiles, NULL where no DPE of the cut has a
-- per-m² value.
CREATE OR REPLACE TEMP TABLE g_area_cuts AS
WITH counts AS (
    SELECT * FROM g_cut_counts_level('commune')
    UNION ALL SELECT * FROM g_cut_counts_level('epci')
    UNION ALL SELECT * FROM g_cut_counts_level('departement')
    UNION ALL SELECT * FROM g_cut_counts_level('region')
    UNION ALL SELECT * FROM g_cut_counts_level('france')
), quantiles AS (
    SELECT k.code, q.* EXCLUDE (id, value), q.value::VARCHAR AS value
    FROM g_cut_q AS q
    JOIN g_cut_codes AS k USING (level, id)
)
SELECT c.*, COALESCE(q.n_ep, 0) AS n_ep, q.ep_q, COALESCE(q.n_ef, 0) AS n_ef, q.ef_q
FROM counts AS c
LEFT JOIN quantiles AS q USING (level, code, annee, dimension, value);
DROP TABLE g_cut_counts;
DROP TABLE g_cut_q;
DROP TABLE g_cut_codes;
DROP TABLE g_cut_places;
