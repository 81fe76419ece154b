-- Gold, step 1: the DPE in use, the BAN rows we point at and the building aggregate
-- (BAN id × Enedis year). Inputs: gold_enedis_in, gold_ban_in (views, gold.py), gold_dpe_in
-- (gold_inputs.sql), the cut_* macros (cut_values.py). Outputs: tables g_dpe, g_metered,
-- g_ban, g_dpe_bld, g_buildings.

-- ADEME wordings of the cut dimensions → slugs, mapped once per distinct wording: a file holds
-- a few dozen, and stripping accents row by row cost 0.3 s per million DPE.
CREATE OR REPLACE TEMP TABLE g_cut_wordings AS
SELECT periode_construction, type_energie_principale_chauffage,
       cut_periode(periode_construction) AS periode,
       cut_energie(type_energie_principale_chauffage) AS energie
FROM (SELECT DISTINCT periode_construction, type_energie_principale_chauffage FROM gold_dpe_in);

-- The DPE the statistics use. Silver already keeps one row per numero_dpe.
CREATE OR REPLACE TEMP TABLE g_dpe AS
SELECT
    d.identifiant_ban AS ban_id,
    d.numero_dpe,
    d.surface_habitable_logement AS surface,
    d.conso_5_usages_par_m2_ef AS ef,
    d.conso_5_usages_par_m2_ep AS ep,
    d.etiquette_dpe,
    d.etiquette_ges,
    upper(d.label_recomputed) AS label_recomputed,
    COALESCE(d.inconsistent_label, false) AS inconsistent_label,
    -- Apartment and house DPE with a surface describe one dwelling per m²; `immeuble` DPE
    -- describe a whole building: they count in n_dpe and labels, never in per-m² means.
    d.type_batiment IN ('appartement', 'maison') AND d.surface_habitable_logement > 0
        AS is_dwelling,
    -- Unknown heating energy counts as not electric: a pair is only claimed when it is known.
    COALESCE(d.is_electric_heating, false) AS is_electric,
    -- The DPE's values in the dimensions of area cuts (slugs, see volt.domain.cuts). Silver
    -- rejects any other type_batiment; one would stop gold here (not a slug).
    cut_slug(d.type_batiment) AS type_batiment,
    w.periode,
    w.energie
FROM gold_dpe_in AS d
JOIN g_cut_wordings AS w
    ON  w.periode_construction IS NOT DISTINCT FROM d.periode_construction
    AND w.type_energie_principale_chauffage IS NOT DISTINCT FROM d.type_energie_principale_chauffage
-- Trap: a DPE replaced by a newer one is not counted twice (silver flags it is_replaced).
-- Trap: street- or commune-level BAN ids would pool many buildings; only addresses join.
WHERE NOT COALESCE(d.is_replaced, false) AND d.ban_id_kind = 'address';
DROP TABLE g_cut_wordings;

-- Enedis rows the geocoder matched, one row per building and year.
CREATE OR REPLACE TEMP TABLE g_metered AS
SELECT
    e.ban_id,
    e.annee,
    -- Trap: an address straddling two IRIS is published once per IRIS (sometimes twice in a
    -- year): it is one building, so its dwellings and consumption are summed.
    sum(e.nombre_de_logements) AS n_dwellings,
    -- A row without a total must not dilute the mean: its dwellings leave the divisor too.
    sum(e.nombre_de_logements) FILTER (WHERE e.consommation_totale_mwh IS NOT NULL)
        AS metered_dwellings,
    sum(e.consommation_totale_mwh) * 1000 AS metered_kwh,
    -- Location of the row holding most dwellings (ties: the larger IRIS code), so the codes
    -- of one building always come from one consistent Enedis row.
    arg_max({'code_iris': e.code_iris, 'nom_iris': e.nom_iris, 'code_insee': e.code_insee,
             'code_departement': e.code_departement, 'code_region': e.code_region,
             'code_epci': e.code_epci},
            (e.nombre_de_logements, e.code_iris)) AS loc,
    -- The weakest match of the building's rows speaks for it (the conservative choice).
    arg_min(e.geocode_method, e.geocode_score) AS geocode_method,
    min(e.geocode_score) AS geocode_score
FROM gold_enedis_in AS e
WHERE e.geocode_status = 'matched' AND e.ban_id IS NOT NULL
GROUP BY e.ban_id, e.annee;

-- Only the BAN rows that buildings or DPE point at (what the API and maps need), not the
-- whole national file.
CREATE OR REPLACE TEMP TABLE g_ban AS
SELECT
    b.id, b.id_fantoir, b.numero, b.rep, b.nom_voie, b.code_postal, b.code_insee,
    b.nom_commune, b.lon, b.lat, b.x, b.y, b.nom_afnor
FROM gold_ban_in AS b
WHERE b.id IN (SELECT ban_id FROM g_metered
               UNION SELECT identifiant_ban FROM gold_dpe_in WHERE ban_id_kind = 'address')
-- A BAN id is unique within the national files; should two files repeat one, keep one row.
QUALIFY row_number() OVER (PARTITION BY b.id ORDER BY b._file, b.code_postal) = 1;

-- The DPE of each building's address. DPE are not tied to a year (valid ten years): each
-- Enedis year of the building sees the same DPE.
CREATE OR REPLACE TEMP TABLE g_dpe_bld AS
WITH at_buildings AS (
    SELECT * FROM g_dpe WHERE ban_id IN (SELECT ban_id FROM g_metered)
), dominant AS (
    -- The building's label: the most frequent published label of its dwelling DPE; a tie
    -- goes to the worse label (A=1 … G=7 breaks ties upward), never flattering a building.
    SELECT ban_id, arg_max(etiquette_dpe, n * 10 + ascii(etiquette_dpe) - 64) AS building_label
    FROM (SELECT ban_id, etiquette_dpe, count(*) AS n FROM at_buildings
          WHERE is_dwelling AND etiquette_dpe IS NOT NULL GROUP BY ALL)
    GROUP BY ban_id
)
SELECT
    a.ban_id,
    count(*) AS n_dpe,
    count(*) FILTER (WHERE a.is_dwelling) AS n_dpe_dwelling,
    avg(a.surface) FILTER (WHERE a.is_dwelling) AS mean_surface_m2,
    -- Surface-weighted: a 90 m² flat weighs twice a 45 m² one, as in the building's total.
    sum(a.ef * a.surface) FILTER (WHERE a.is_dwelling)
        / sum(a.surface) FILTER (WHERE a.is_dwelling AND a.ef IS NOT NULL) AS dpe_ef_kwh_m2,
    sum(a.ep * a.surface) FILTER (WHERE a.is_dwelling)
        / sum(a.surface) FILTER (WHERE a.is_dwelling AND a.ep IS NOT NULL) AS dpe_ep_kwh_m2,
    -- Label counts: the published labels of every DPE at the address, immeuble included.
    count(*) FILTER (WHERE a.etiquette_dpe = 'A') AS n_label_a,
    count(*) FILTER (WHERE a.etiquette_dpe = 'B') AS n_label_b,
    count(*) FILTER (WHERE a.etiquette_dpe = 'C') AS n_label_c,
    count(*) FILTER (WHERE a.etiquette_dpe = 'D') AS n_label_d,
    count(*) FILTER (WHERE a.etiquette_dpe = 'E') AS n_label_e,
    count(*) FILTER (WHERE a.etiquette_dpe = 'F') AS n_label_f,
    count(*) FILTER (WHERE a.etiquette_dpe = 'G') AS n_label_g,
    count(*) FILTER (WHERE a.etiquette_ges = 'A') AS n_ges_a,
    count(*) FILTER (WHERE a.etiquette_ges = 'B') AS n_ges_b,
    count(*) FILTER (WHERE a.etiquette_ges = 'C') AS n_ges_c,
    count(*) FILTER (WHERE a.etiquette_ges = 'D') AS n_ges_d,
    count(*) FILTER (WHERE a.etiquette_ges = 'E') AS n_ges_e,
    count(*) FILTER (WHERE a.etiquette_ges = 'F') AS n_ges_f,
    count(*) FILTER (WHERE a.etiquette_ges = 'G') AS n_ges_g,
    count(*) FILTER (WHERE a.label_recomputed = 'A') AS n_label_recomputed_a,
    count(*) FILTER (WHERE a.label_recomputed = 'B') AS n_label_recomputed_b,
    count(*) FILTER (WHERE a.label_recomputed = 'C') AS n_label_recomputed_c,
    count(*) FILTER (WHERE a.label_recomputed = 'D') AS n_label_recomputed_d,
    count(*) FILTER (WHERE a.label_recomputed = 'E') AS n_label_recomputed_e,
    count(*) FILTER (WHERE a.label_recomputed = 'F') AS n_label_recomputed_f,
    count(*) FILTER (WHERE a.label_recomputed = 'G') AS n_label_recomputed_g,
    count(*) FILTER (WHERE a.inconsistent_label) AS n_inconsistent_label,
    -- Share over the dwelling DPE (NULL without any): the heating of the dwellings metered.
    avg(a.is_electric::INTEGER) FILTER (WHERE a.is_dwelling) AS share_electric_heating,
    any_value(dm.building_label) AS building_label
FROM at_buildings AS a
LEFT JOIN dominant AS dm USING (ban_id)
GROUP BY a.ban_id;

-- The building aggregate, with the work columns areas need (metered_kwh, metered_dwellings,
-- nom_iris); gold_tables.sql keeps the contract's columns.
CREATE OR REPLACE TEMP TABLE g_buildings AS
SELECT
    m.ban_id,
    m.annee,
    m.loc.code_insee AS code_insee,
    m.loc.code_iris AS code_iris,
    m.loc.code_departement AS code_departement,
    m.loc.code_region AS code_region,
    m.loc.code_epci AS code_epci,
    split_part(m.ban_id, '_', 1) || '_' || split_part(m.ban_id, '_', 2) AS street_code,
    b.nom_voie,
    b.numero,
    b.lon,
    b.lat,
    m.n_dwellings::INTEGER AS n_dwellings,
    m.metered_kwh / NULLIF(m.metered_dwellings, 0) AS metered_kwh_per_dwelling,
    COALESCE(d.n_dpe, 0)::INTEGER AS n_dpe,
    COALESCE(d.n_dpe_dwelling, 0)::INTEGER AS n_dpe_dwelling,
    d.mean_surface_m2,
    d.dpe_ef_kwh_m2,
    d.dpe_ep_kwh_m2,
    -- The metered kWh/m² estimate: kWh per dwelling ÷ the mean DPE surface at the address.
    m.metered_kwh / NULLIF(m.metered_dwellings, 0) / d.mean_surface_m2 AS metered_kwh_m2,
    COALESCE(COLUMNS('^n_(label|ges|label_recomputed)_[a-g]$'), 0)::INTEGER,
    COALESCE(d.n_inconsistent_label, 0)::INTEGER AS n_inconsistent_label,
    d.share_electric_heating,
    -- Electric when half or more of its dwelling DPE heat with electricity: heating then
    -- dominates what the meter reads. NULL (unknown) without a dwelling DPE.
    d.share_electric_heating >= 0.5 AS is_electric_heating,
    d.building_label,
    'matched' AS geocode_status,
    m.geocode_method,
    m.geocode_score,
    m.metered_kwh,
    m.metered_dwellings,
    m.loc.nom_iris AS nom_iris
FROM g_metered AS m
LEFT JOIN g_dpe_bld AS d USING (ban_id)
LEFT JOIN g_ban AS b ON b.id = m.ban_id;
