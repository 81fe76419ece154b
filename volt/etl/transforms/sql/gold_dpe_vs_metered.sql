-- Gold metered vs DPE: per area, year and building label, the electric buildings' pairs
-- (DPE final kWh/m² vs metered kWh/m²). Input: g_buildings. Outputs: g_vs_buildings,
-- g_vs_cells (the tests are computed in gold_stats.py and joined by gold_tables.sql).

-- Levels commune and up only: a street or an IRIS rarely holds the ten pairs a test needs,
-- and its quartiles would describe two or three buildings.
CREATE OR REPLACE TEMP TABLE g_vs_buildings AS
SELECT
    l.level,
    l.code,
    b.annee,
    b.building_label AS etiquette_dpe,
    ascii(b.building_label) - 64 AS label_rank,  -- A=1 … G=7, for the trend test
    -- Enedis meters electricity only: the comparison is meaningful for electric heating.
    -- Final energy on both sides; one pair per building, never per DPE (no pseudo-replication).
    COALESCE(b.is_electric_heating AND b.dpe_ef_kwh_m2 > 0 AND b.metered_kwh_m2 IS NOT NULL,
             false) AS is_pair,
    NOT b.is_electric_heating AS is_other,
    b.n_dwellings,
    b.dpe_ef_kwh_m2,
    b.metered_kwh_m2,
    b.metered_kwh_m2 / b.dpe_ef_kwh_m2 AS ratio,
    b.metered_kwh_m2 - b.dpe_ef_kwh_m2 AS diff
FROM g_buildings AS b
CROSS JOIN LATERAL (VALUES ('commune', b.code_insee), ('epci', b.code_epci),
                           ('departement', b.code_departement), ('region', b.code_region),
                           ('france', 'FR')) AS l(level, code)
WHERE b.building_label IS NOT NULL AND l.code IS NOT NULL;

CREATE OR REPLACE TEMP TABLE g_vs_cells AS
SELECT
    level,
    code,
    annee,
    etiquette_dpe,
    dense_rank() OVER (ORDER BY level, code, annee, etiquette_dpe) AS cell_id,
    dense_rank() OVER (ORDER BY level, code, annee) AS area_id,
    count(*) FILTER (WHERE is_pair) AS n_buildings_electric,
    -- Non-electric buildings are shown, never mixed into the pairs.
    count(*) FILTER (WHERE is_other) AS n_buildings_other,
    sum(n_dwellings) FILTER (WHERE is_pair) AS n_dwellings_electric,
    quantile_cont(dpe_ef_kwh_m2, [0.25, 0.5, 0.75]) FILTER (WHERE is_pair) AS dpe_q,
    quantile_cont(metered_kwh_m2, [0.25, 0.5, 0.75]) FILTER (WHERE is_pair) AS metered_q,
    quantile_cont(ratio, [0.25, 0.5, 0.75]) FILTER (WHERE is_pair) AS ratio_q
FROM g_vs_buildings
GROUP BY level, code, annee, etiquette_dpe
-- Electric buildings lacking one figure are neither a pair nor "other"; a cell of those only
-- would be empty.
HAVING count(*) FILTER (WHERE is_pair OR is_other) > 0;

-- The pairs in cell order (cells nest inside areas), read by gold_stats.py.
CREATE OR REPLACE TEMP VIEW g_vs_pairs AS
SELECT c.cell_id, c.area_id, v.label_rank, v.diff, v.ratio
FROM g_vs_buildings AS v
JOIN g_vs_cells AS c USING (level, code, annee, etiquette_dpe)
WHERE v.is_pair
ORDER BY c.cell_id;
