-- Gold outputs: one view per gold table, with exactly the columns of volt.etl.gold_schema
-- (gold.py checks every written file against it). Inputs: the g_* tables and gold_*_in views;
-- g_vs_wilcoxon and g_vs_trend are registered by gold_stats.py.

CREATE OR REPLACE TEMP VIEW gold_out_communes AS
SELECT code_insee, nom, code_departement, code_region, code_epci, nom_epci, lon, lat
FROM g_communes;

CREATE OR REPLACE TEMP VIEW gold_out_buildings AS
SELECT * EXCLUDE (metered_kwh, metered_dwellings, nom_iris) FROM g_buildings;

CREATE OR REPLACE TEMP VIEW gold_out_areas AS
SELECT * FROM g_areas;

CREATE OR REPLACE TEMP VIEW gold_out_dpe_vs_metered AS
SELECT
    c.level,
    c.code,
    c.annee,
    c.etiquette_dpe,
    c.n_buildings_electric::INTEGER AS n_buildings_electric,
    c.n_buildings_other::INTEGER AS n_buildings_other,
    COALESCE(c.n_dwellings_electric, 0)::INTEGER AS n_dwellings_electric,
    c.dpe_q[1] AS dpe_ef_kwh_m2_q1,
    c.dpe_q[2] AS dpe_ef_kwh_m2_median,
    c.dpe_q[3] AS dpe_ef_kwh_m2_q3,
    c.metered_q[1] AS metered_kwh_m2_q1,
    c.metered_q[2] AS metered_kwh_m2_median,
    c.metered_q[3] AS metered_kwh_m2_q3,
    c.ratio_q[1] AS ratio_q1,
    c.ratio_q[2] AS ratio_median,
    c.ratio_q[3] AS ratio_q3,
    w.statistic::DOUBLE AS wilcoxon_statistic,
    w.p_value::DOUBLE AS wilcoxon_p_value,
    t.tau::DOUBLE AS trend_kendall_tau,
    t.p_value::DOUBLE AS trend_p_value
FROM g_vs_cells AS c
LEFT JOIN g_vs_wilcoxon AS w USING (cell_id)
LEFT JOIN g_vs_trend AS t USING (area_id);

-- The vigintile lists unpacked: element i is the (5·i)th percentile (cut_vigintiles()).
CREATE OR REPLACE TEMP VIEW gold_out_area_cuts AS
SELECT
    c.level,
    c.code,
    c.annee,
    c.dimension,
    c.value,
    c.n_dpe::INTEGER AS n_dpe,
    COLUMNS('^n_(label|ges|label_recomputed)_[a-g]$')::INTEGER,
    c.n_ep::INTEGER AS n_ep,
    c.ep_q[1] AS ep_p05,
    c.ep_q[2] AS ep_p10,
    c.ep_q[3] AS ep_p15,
    c.ep_q[4] AS ep_p20,
    c.ep_q[5] AS ep_p25,
    c.ep_q[6] AS ep_p30,
    c.ep_q[7] AS ep_p35,
    c.ep_q[8] AS ep_p40,
    c.ep_q[9] AS ep_p45,
    c.ep_q[10] AS ep_p50,
    c.ep_q[11] AS ep_p55,
    c.ep_q[12] AS ep_p60,
    c.ep_q[13] AS ep_p65,
    c.ep_q[14] AS ep_p70,
    c.ep_q[15] AS ep_p75,
    c.ep_q[16] AS ep_p80,
    c.ep_q[17] AS ep_p85,
    c.ep_q[18] AS ep_p90,
    c.ep_q[19] AS ep_p95,
    c.n_ef::INTEGER AS n_ef,
    c.ef_q[1] AS ef_p05,
    c.ef_q[2] AS ef_p10,
    c.ef_q[3] AS ef_p15,
    c.ef_q[4] AS ef_p20,
    c.ef_q[5] AS ef_p25,
    c.ef_q[6] AS ef_p30,
    c.ef_q[7] AS ef_p35,
    c.ef_q[8] AS ef_p40,
    c.ef_q[9] AS ef_p45,
    c.ef_q[10] AS ef_p50,
    c.ef_q[11] AS ef_p55,
    c.ef_q[12] AS ef_p60,
    c.ef_q[13] AS ef_p65,
    c.ef_q[14] AS ef_p70,
    c.ef_q[15] AS ef_p75,
    c.ef_q[16] AS ef_p80,
    c.ef_q[17] AS ef_p85,
    c.ef_q[18] AS ef_p90,
    c.ef_q[19] AS ef_p95
FROM g_area_cuts AS c;

CREATE OR REPLACE TEMP VIEW gold_out_dpe AS
SELECT
    numero_dpe,
    numero_dpe_remplace,
    date_etablissement_dpe,
    type_batiment,
    periode_construction,
    annee_construction::INTEGER AS annee_construction,
    surface_habitable_logement,
    etiquette_dpe,
    etiquette_ges,
    label_recomputed,
    inconsistent_label,
    conso_5_usages_par_m2_ep,
    conso_5_usages_par_m2_ef,
    emission_ges_5_usages_par_m2,
    cep_current_kwh_m2,
    type_energie_principale_chauffage,
    is_electric_heating,
    identifiant_ban,
    code_insee,
    code_departement,
    -- Replaced DPE stay in this internal table (flagged), out of every statistic.
    is_replaced
FROM gold_dpe_in;

-- Every Enedis row, matched or not: unmatched rows are kept and reported, never dropped.
CREATE OR REPLACE TEMP VIEW gold_out_enedis_consumption AS
SELECT
    annee, code_iris, nom_iris, numero_de_voie, indice_de_repetition, type_de_voie,
    libelle_de_voie, adresse, code_commune, code_insee, nom_commune, code_epci,
    code_departement, code_region,
    nombre_de_logements::INTEGER AS nombre_de_logements,
    consommation_totale_mwh, consommation_moyenne_mwh, consommation_moyenne_commune_mwh,
    tri_des_adresses::BIGINT AS tri_des_adresses,
    ban_id, geocode_status, geocode_method, geocode_score::DOUBLE AS geocode_score
FROM gold_enedis_in;

CREATE OR REPLACE TEMP VIEW gold_out_ban_addresses AS
SELECT * FROM g_ban;

-- Run metrics (metrics.json). dpe_join_rate: the share of DPE in use with an address-level
-- BAN id whose id exists in the BAN file.
CREATE OR REPLACE TEMP VIEW gold_metrics AS
WITH e AS (
    SELECT count(*) AS enedis_rows,
           count(*) FILTER (WHERE geocode_status = 'matched') AS matched_rows,
           count(*) FILTER (WHERE geocode_status = 'ambiguous') AS ambiguous_rows,
           count(*) FILTER (WHERE geocode_status = 'not_found') AS not_found_rows
    FROM gold_enedis_in
), d AS (
    SELECT count(*) AS dpe_rows,
           count(*) FILTER (WHERE NOT COALESCE(is_replaced, false)) AS dpe_used
    FROM gold_dpe_in
), j AS (
    SELECT count(*) AS dpe_address_ids,
           count(*) FILTER (WHERE ban_id IN (SELECT id FROM g_ban)) AS dpe_joined_to_ban,
           count(*) FILTER (WHERE ban_id IN (SELECT ban_id FROM g_metered))
               AS dpe_at_buildings
    FROM g_dpe
), b AS (
    SELECT count(*) AS buildings,
           count(*) FILTER (WHERE n_dpe > 0) AS buildings_with_dpe,
           count(*) FILTER (WHERE is_electric_heating) AS buildings_electric
    FROM g_buildings
)
SELECT
    d.dpe_rows, d.dpe_used, j.dpe_address_ids, j.dpe_joined_to_ban,
    round(j.dpe_joined_to_ban / NULLIF(j.dpe_address_ids, 0), 6) AS dpe_join_rate,
    j.dpe_at_buildings,
    e.enedis_rows, e.matched_rows, e.ambiguous_rows, e.not_found_rows,
    round(e.matched_rows / NULLIF(e.enedis_rows, 0), 6) AS geocode_rate,
    b.buildings, b.buildings_with_dpe, b.buildings_electric
FROM e, d, j, b;
