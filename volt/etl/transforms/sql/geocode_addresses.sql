-- Silver Enedis rows and their distinct addresses, the unit the geocoders decide on.
-- Input: variable geo_enedis_glob. Outputs: view geo_enedis, table geo_addresses, macro geo_output_sql.

-- Trap: hive partition folders (`code_departement=06`) would be auto-cast to 6; the partition
-- columns are also inside the files, read those.
CREATE OR REPLACE TEMP VIEW geo_enedis AS
SELECT * FROM read_parquet(getvariable('geo_enedis_glob'), hive_partitioning = false);

-- Trap: one address repeats every year and sometimes once per IRIS; geocode it once. The commune's
-- name rides along (any of its spellings) for the web geocoder, whose scores compare the query
-- with a label ending in the city.
CREATE OR REPLACE TEMP TABLE geo_addresses AS
SELECT row_number() OVER () AS _row_id, *
FROM (SELECT numero_de_voie, indice_de_repetition, type_de_voie, libelle_de_voie,
             adresse, code_commune, code_insee, min(nom_commune) AS nom_commune
      FROM geo_enedis
      GROUP BY ALL);

-- Every Enedis row once with its address's decision; no decision means not_found.
CREATE OR REPLACE MACRO geo_output_sql(decisions) AS TABLE
SELECT e.*,
       d.ban_id::VARCHAR AS ban_id,
       COALESCE(d.geocode_status, 'not_found')::VARCHAR AS geocode_status,
       d.geocode_method::VARCHAR AS geocode_method,
       d.geocode_score::DOUBLE AS geocode_score,
       COALESCE(d.geocode_candidates, 0)::INTEGER AS geocode_candidates
FROM geo_enedis AS e
JOIN geo_addresses AS a
  ON  a.numero_de_voie IS NOT DISTINCT FROM e.numero_de_voie
  AND a.indice_de_repetition IS NOT DISTINCT FROM e.indice_de_repetition
  AND a.type_de_voie IS NOT DISTINCT FROM e.type_de_voie
  AND a.libelle_de_voie IS NOT DISTINCT FROM e.libelle_de_voie
  AND a.adresse IS NOT DISTINCT FROM e.adresse
  AND a.code_commune IS NOT DISTINCT FROM e.code_commune
  AND a.code_insee IS NOT DISTINCT FROM e.code_insee
LEFT JOIN query_table(decisions) AS d ON d._row_id = a._row_id;
