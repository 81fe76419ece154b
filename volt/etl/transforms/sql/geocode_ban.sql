-- The BAN side of the file geocoder. Input: variable geo_ban_glob (silver BAN parquet).
-- Outputs: geo_ban_streets (one row per distinct street name, normalised once) and geo_ban_keys
-- (every address once per commune code it answers to, pointing at its street by `sid`).

-- Trap: partition folders say `code_departement=06`; the columns inside the files are the truth,
-- hive auto-casting would turn 06 into 6.
CREATE OR REPLACE TEMP VIEW geo_ban_source AS
SELECT id, numero, rep, nom_voie, code_insee, code_insee_ancienne_commune
FROM read_parquet(getvariable('geo_ban_glob'), hive_partitioning = false)
WHERE id IS NOT NULL AND nom_voie IS NOT NULL;

-- Streets are normalised once per distinct name, far fewer than addresses.
CREATE OR REPLACE TEMP TABLE geo_ban_street_names AS
SELECT DISTINCT nom_voie AS street FROM geo_ban_source;

CREATE OR REPLACE TEMP TABLE geo_ban_streets AS
SELECT row_number() OVER () AS sid, * FROM geo_street_keys('geo_ban_street_names');

CREATE OR REPLACE TEMP TABLE geo_ban_addresses AS
SELECT a.id, geo_numero(a.numero) AS numero, COALESCE(lower(trim(a.rep)), '') AS rep, s.sid,
       a.code_insee, a.code_insee_ancienne_commune
FROM geo_ban_source AS a
JOIN geo_ban_streets AS s ON s.street = a.nom_voie
WHERE geo_numero(a.numero) IS NOT NULL;

-- commune_rank orders the codes an address answers to: 0 its commune; 1 the former commune of a
-- commune déléguée (Enedis may still publish under it); 2 the whole city for an arrondissement.
CREATE OR REPLACE TEMP TABLE geo_ban_keys AS
SELECT id, code_insee AS commune, 0 AS commune_rank, numero, rep, sid
FROM geo_ban_addresses
UNION ALL
SELECT id, code_insee_ancienne_commune, 1, numero, rep, sid
FROM geo_ban_addresses
WHERE code_insee_ancienne_commune <> code_insee
UNION ALL
SELECT id, geo_plm_city(code_insee), 2, numero, rep, sid
FROM geo_ban_addresses
WHERE geo_plm_city(code_insee) IS NOT NULL;

DROP TABLE geo_ban_addresses;
DROP TABLE geo_ban_street_names;
DROP VIEW geo_ban_source;
