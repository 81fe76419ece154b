-- Gold areas: street, IRIS, commune, EPCI, département, région and France × year, aggregated
-- from the buildings (so an area only ever holds addresses Enedis publishes).
-- Inputs: g_buildings, g_dpe, g_communes. Output: table g_areas.

-- Building-level figures: counts, label mixes, metered consumption. One level at a time, like
-- the DPE-level figures below: medians are holistic, and seven grouping sets at once would hold
-- every building's values seven times (out of memory at national scale under a 1 GB cap).
-- The buildings of one area level, each with the code of its area at that level.
CREATE OR REPLACE MACRO g_buildings_at(lvl) AS TABLE
SELECT * FROM (
    SELECT
        CASE lvl WHEN 'street' THEN street_code
                 WHEN 'iris' THEN code_iris
                 WHEN 'commune' THEN code_insee
                 WHEN 'epci' THEN code_epci
                 WHEN 'departement' THEN code_departement
                 WHEN 'region' THEN code_region
                 ELSE 'FR' END AS code,
        *
    FROM g_buildings
)
-- A building without an IRIS (or EPCI…) code still counts in every level it has a code for.
WHERE code IS NOT NULL;

CREATE OR REPLACE MACRO g_area_bld_level(lvl) AS TABLE
SELECT
    lvl AS level,
    code,
    annee,
    -- Names and parents: from the building holding most dwellings (an EPCI may straddle
    -- two départements; its parent is where most of its metered dwellings are).
    arg_max(nom_voie, n_dwellings) AS street_name,
    arg_max(nom_iris, n_dwellings) AS iris_name,
    arg_max(code_insee, n_dwellings) AS top_insee,
    arg_max(code_epci, n_dwellings) AS top_epci,
    arg_max(code_departement, n_dwellings) AS top_departement,
    arg_max(code_region, n_dwellings) AS top_region,
    count(*) AS n_buildings,
    sum(n_dwellings) AS n_dwellings,
    sum(n_dpe) AS n_dpe,
    sum(n_dpe_dwelling) AS n_dpe_dwelling,
    -- For suppression (DESIGN §3): the smallest building contributing to the cell.
    min(n_dwellings) AS min_building_dwellings,
    sum(COLUMNS('^n_(label|ges|label_recomputed)_[a-g]$')),
    sum(n_inconsistent_label) AS n_inconsistent_label,
    -- Dwelling-weighted: Σ kWh ÷ Σ dwellings, the area's true mean per dwelling.
    sum(metered_kwh) / sum(metered_dwellings) AS metered_kwh_per_dwelling_mean,
    median(metered_kwh_per_dwelling) AS metered_kwh_per_dwelling_median,
    -- One value per building that has a DPE surface.
    avg(metered_kwh_m2) AS metered_kwh_m2_mean,
    median(metered_kwh_m2) AS metered_kwh_m2_median,
    count(*) FILTER (WHERE is_electric_heating) AS elec_n_buildings,
    sum(n_dwellings) FILTER (WHERE is_electric_heating) AS elec_n_dwellings,
    -- The DPE behind the elec_ per-m² statistics: dwelling DPE of electric buildings.
    sum(n_dpe_dwelling) FILTER (WHERE is_electric_heating) AS elec_n_dpe,
    sum(metered_kwh) FILTER (WHERE is_electric_heating)
        / sum(metered_dwellings) FILTER (WHERE is_electric_heating)
        AS elec_metered_kwh_per_dwelling_mean,
    median(metered_kwh_per_dwelling) FILTER (WHERE is_electric_heating)
        AS elec_metered_kwh_per_dwelling_median,
    avg(metered_kwh_m2) FILTER (WHERE is_electric_heating) AS elec_metered_kwh_m2_mean,
    median(metered_kwh_m2) FILTER (WHERE is_electric_heating) AS elec_metered_kwh_m2_median
FROM g_buildings_at(lvl)
GROUP BY code, annee;

CREATE OR REPLACE TEMP TABLE g_area_bld AS SELECT * FROM g_area_bld_level('street');
INSERT INTO g_area_bld SELECT * FROM g_area_bld_level('iris');
INSERT INTO g_area_bld SELECT * FROM g_area_bld_level('commune');
INSERT INTO g_area_bld SELECT * FROM g_area_bld_level('epci');
INSERT INTO g_area_bld SELECT * FROM g_area_bld_level('departement');
INSERT INTO g_area_bld SELECT * FROM g_area_bld_level('region');
INSERT INTO g_area_bld SELECT * FROM g_area_bld_level('france');

-- DPE-level figures: one value per dwelling DPE of the area's buildings, not per building
-- (apartment/house DPE only: immeuble DPE are not per-dwelling figures).
-- One level at a time: quantiles are holistic (every value kept until the group ends), so
-- GROUPING SETS over seven levels would hold each DPE value seven times — out of memory at
-- 5 M DPE under a 2 GB cap. Level by level, the peak is one copy of the values.
-- The join of dwelling DPE to buildings is done once, with every area code of the building; each
-- level then only groups it (seven joins cost more than the quantiles themselves).
CREATE OR REPLACE TEMP TABLE g_area_dpe_values AS
SELECT b.street_code, b.code_iris, b.code_insee, b.code_epci, b.code_departement, b.code_region,
       b.annee, b.is_electric_heating, d.ef, d.ep
FROM g_buildings AS b
JOIN g_dpe AS d ON d.ban_id = b.ban_id AND d.is_dwelling;

CREATE OR REPLACE MACRO g_area_dpe_level(lvl) AS TABLE
SELECT
    lvl AS level,
    code,
    annee,
    avg(ef) AS ef_mean,
    quantile_cont(ef, [0.5, 0.1, 0.9]) AS ef_q,
    avg(ep) AS ep_mean,
    quantile_cont(ep, [0.5, 0.1, 0.9]) AS ep_q,
    avg(ef) FILTER (WHERE is_electric_heating) AS elec_ef_mean,
    quantile_cont(ef, [0.5, 0.1, 0.9]) FILTER (WHERE is_electric_heating) AS elec_ef_q,
    avg(ep) FILTER (WHERE is_electric_heating) AS elec_ep_mean,
    quantile_cont(ep, [0.5, 0.1, 0.9]) FILTER (WHERE is_electric_heating) AS elec_ep_q
FROM (
    SELECT
        CASE lvl WHEN 'street' THEN street_code
                 WHEN 'iris' THEN code_iris
                 WHEN 'commune' THEN code_insee
                 WHEN 'epci' THEN code_epci
                 WHEN 'departement' THEN code_departement
                 WHEN 'region' THEN code_region
                 ELSE 'FR' END AS code,
        annee, is_electric_heating, ef, ep
    FROM g_area_dpe_values
)
WHERE code IS NOT NULL
GROUP BY code, annee;

CREATE OR REPLACE TEMP TABLE g_area_dpe AS SELECT * FROM g_area_dpe_level('street');
INSERT INTO g_area_dpe SELECT * FROM g_area_dpe_level('iris');
INSERT INTO g_area_dpe SELECT * FROM g_area_dpe_level('commune');
INSERT INTO g_area_dpe SELECT * FROM g_area_dpe_level('epci');
INSERT INTO g_area_dpe SELECT * FROM g_area_dpe_level('departement');
INSERT INTO g_area_dpe SELECT * FROM g_area_dpe_level('region');
INSERT INTO g_area_dpe SELECT * FROM g_area_dpe_level('france');
DROP TABLE g_area_dpe_values;

CREATE OR REPLACE TEMP TABLE g_areas AS
SELECT
    a.level,
    a.code,
    a.annee,
    CASE a.level WHEN 'street' THEN a.street_name WHEN 'iris' THEN a.iris_name
                 WHEN 'commune' THEN c.nom WHEN 'france' THEN 'France' END AS name,
    -- The sources name no EPCI, département or région: their names are left NULL.
    CASE a.level WHEN 'street' THEN 'commune' WHEN 'iris' THEN 'commune'
                 WHEN 'commune' THEN 'epci' WHEN 'epci' THEN 'departement'
                 WHEN 'departement' THEN 'region' WHEN 'region' THEN 'france' END AS parent_level,
    CASE a.level WHEN 'street' THEN a.top_insee WHEN 'iris' THEN a.top_insee
                 WHEN 'commune' THEN a.top_epci WHEN 'epci' THEN a.top_departement
                 WHEN 'departement' THEN a.top_region WHEN 'region' THEN 'FR' END AS parent_code,
    CASE WHEN a.level IN ('street', 'iris', 'commune', 'epci', 'departement')
         THEN a.top_departement END AS code_departement,
    a.n_buildings::INTEGER AS n_buildings,
    a.n_dwellings::INTEGER AS n_dwellings,
    a.n_dpe::INTEGER AS n_dpe,
    a.n_dpe_dwelling::INTEGER AS n_dpe_dwelling,
    a.min_building_dwellings::INTEGER AS min_building_dwellings,
    COLUMNS('^n_(label|ges|label_recomputed)_[a-g]$')::INTEGER,
    a.n_inconsistent_label::INTEGER AS n_inconsistent_label,
    d.ef_mean AS dpe_ef_kwh_m2_mean,
    d.ef_q[1] AS dpe_ef_kwh_m2_median,
    d.ef_q[2] AS dpe_ef_kwh_m2_p10,
    d.ef_q[3] AS dpe_ef_kwh_m2_p90,
    d.ep_mean AS dpe_ep_kwh_m2_mean,
    d.ep_q[1] AS dpe_ep_kwh_m2_median,
    d.ep_q[2] AS dpe_ep_kwh_m2_p10,
    d.ep_q[3] AS dpe_ep_kwh_m2_p90,
    a.metered_kwh_per_dwelling_mean,
    a.metered_kwh_per_dwelling_median,
    a.metered_kwh_m2_mean,
    a.metered_kwh_m2_median,
    a.elec_n_buildings::INTEGER AS elec_n_buildings,
    COALESCE(a.elec_n_dwellings, 0)::INTEGER AS elec_n_dwellings,
    COALESCE(a.elec_n_dpe, 0)::INTEGER AS elec_n_dpe,
    d.elec_ef_mean AS elec_dpe_ef_kwh_m2_mean,
    d.elec_ef_q[1] AS elec_dpe_ef_kwh_m2_median,
    d.elec_ef_q[2] AS elec_dpe_ef_kwh_m2_p10,
    d.elec_ef_q[3] AS elec_dpe_ef_kwh_m2_p90,
    d.elec_ep_mean AS elec_dpe_ep_kwh_m2_mean,
    d.elec_ep_q[1] AS elec_dpe_ep_kwh_m2_median,
    d.elec_ep_q[2] AS elec_dpe_ep_kwh_m2_p10,
    d.elec_ep_q[3] AS elec_dpe_ep_kwh_m2_p90,
    a.elec_metered_kwh_per_dwelling_mean,
    a.elec_metered_kwh_per_dwelling_median,
    a.elec_metered_kwh_m2_mean,
    a.elec_metered_kwh_m2_median
FROM g_area_bld AS a
LEFT JOIN g_area_dpe AS d USING (level, code, annee)
LEFT JOIN g_communes AS c ON a.level = 'commune' AND c.code_insee = a.code;
