-- Gold communes: one row per commune code seen in Enedis, the BAN or the DPE.
-- Inputs: gold_enedis_in, gold_dpe_in, gold_ban_in. Output: table g_communes.
CREATE OR REPLACE TEMP TABLE g_communes AS
WITH ban AS (
    -- The centre shown on maps: the mean of the commune's BAN points (never one address).
    SELECT code_insee, min(nom_commune) AS nom, any_value(code_departement) AS code_departement,
           avg(lon) AS lon, avg(lat) AS lat
    FROM gold_ban_in
    WHERE code_insee IS NOT NULL
    GROUP BY code_insee
), enedis AS (
    -- Trap: Paris, Lyon and Marseille rows carry the arrondissement in code_insee (silver).
    SELECT code_insee, min(nom_commune) AS nom, mode(code_departement) AS code_departement,
           mode(code_region) AS code_region, mode(code_epci) AS code_epci
    FROM gold_enedis_in
    WHERE code_insee IS NOT NULL
    GROUP BY code_insee
), dpe AS (
    SELECT code_insee, min(nom_commune_ban) AS nom, mode(code_departement) AS code_departement,
           mode(code_region) AS code_region
    FROM gold_dpe_in
    WHERE code_insee IS NOT NULL
    GROUP BY code_insee
), codes AS (
    SELECT code_insee FROM ban UNION SELECT code_insee FROM enedis
    UNION SELECT code_insee FROM dpe
)
SELECT
    c.code_insee,
    -- The BAN spells the current commune (and each PLM arrondissement) officially.
    COALESCE(b.nom, e.nom, d.nom) AS nom,
    COALESCE(e.code_departement, b.code_departement, d.code_departement) AS code_departement,
    -- Region and EPCI come from Enedis, the only source publishing the EPCI.
    COALESCE(e.code_region, d.code_region) AS code_region,
    e.code_epci,
    -- No source publishes EPCI names (Enedis gives the code only): left NULL.
    NULL::VARCHAR AS nom_epci,
    b.lon,
    b.lat
FROM codes AS c
LEFT JOIN ban AS b USING (code_insee)
LEFT JOIN enedis AS e USING (code_insee)
LEFT JOIN dpe AS d USING (code_insee);
