-- Silver DPE, step 1: typed rows with derived location and heating fields.
-- Input: typed_dpe (registry columns typed from current or legacy keys, _errors, _raw).
CREATE OR REPLACE TEMP VIEW checked_dpe AS
WITH located AS (
    SELECT
        t.*,
        -- Trap: the BAN id starts with the commune's INSEE code when the column is empty.
        COALESCE(t.code_insee_ban,
                 to_code_insee(split_part(t.identifiant_ban, '_', 1))) AS code_insee,
        -- `old48039` (communes nouvelles) was repaired by to_code_insee_ban; flag it.
        t._raw.code_insee_ban ILIKE 'old%' AS insee_had_old_prefix,
        -- BAN id kinds met in real files: address, street-level (one `_`), bare INSEE code.
        CASE WHEN t.identifiant_ban IS NULL THEN NULL
             WHEN regexp_full_match(t.identifiant_ban, '\d{5}|2[AB]\d{3}') THEN 'commune'
             WHEN length(t.identifiant_ban) - length(replace(t.identifiant_ban, '_', '')) = 1
             THEN 'street'
             ELSE 'address' END AS ban_id_kind,
        lower(trim(t.type_batiment)) AS type_batiment_norm,
        trim(COALESCE(t.type_energie_principale_chauffage, t.type_energie_n1)) AS energie_chauffage
    FROM typed_dpe AS t
)
SELECT
    l.numero_dpe,
    l.numero_dpe_remplace,
    l.numero_dpe_immeuble_associe,
    -- The reception date stands in when the establishment date is absent (new-build exports).
    COALESCE(l.date_etablissement_dpe, l.date_reception_dpe) AS date_etablissement_dpe,
    l.date_reception_dpe,
    l.date_fin_validite_dpe,
    l.version_dpe,
    l.modele_dpe,
    l.methode_application_dpe,
    l.type_batiment_norm AS type_batiment,
    l.periode_construction,
    l.annee_construction,
    l.surface_habitable_logement,
    l.surface_habitable_immeuble,
    l.nombre_appartement,
    l.etiquette_dpe,
    l.etiquette_ges,
    l.conso_5_usages_par_m2_ep,
    l.conso_5_usages_par_m2_ef,
    l.emission_ges_5_usages_par_m2,
    l.conso_5_usages_ep,
    l.conso_5_usages_ef,
    l.emission_ges_5_usages,
    l.energie_chauffage AS type_energie_principale_chauffage,
    l.type_energie_principale_ecs,
    l.type_energie_n1, l.conso_5_usages_ef_energie_n1,
    l.type_energie_n2, l.conso_5_usages_ef_energie_n2,
    l.type_energie_n3, l.conso_5_usages_ef_energie_n3,
    -- Enedis sees electricity only: the metered/DPE comparison needs electric heating.
    l.energie_chauffage ILIKE 'électricité%' OR l.energie_chauffage ILIKE 'electricite%'
        AS is_electric_heating,
    l.type_installation_chauffage,
    l.zone_climatique,
    l.classe_altitude,
    l.identifiant_ban,
    l.ban_id_kind,
    l.numero_voie_ban,
    l.nom_rue_ban,
    l.code_postal_ban,
    l.code_insee,
    regexp_replace(l.nom_commune_ban, '^old', '') AS nom_commune_ban,
    COALESCE(l.code_departement_ban, departement_of(l.code_insee)) AS code_departement,
    l.code_region_ban AS code_region,
    l.score_ban,
    l.statut_geocodage,
    l.coordonnee_cartographique_x_ban,
    l.coordonnee_cartographique_y_ban,
    -- `_geopoint` is "lat,lon" (data-fair); wrong overseas, so kept apart from BAN coordinates.
    TRY_CAST(split_part(l._geopoint, ',', 1) AS DOUBLE) AS geopoint_lat,
    TRY_CAST(split_part(l._geopoint, ',', 2) AS DOUBLE) AS geopoint_lon,
    l._file,
    list_concat(
        l._errors,
        [CASE WHEN l.type_batiment_norm NOT IN ('maison', 'appartement', 'immeuble')
              THEN 'type_batiment: expected maison, appartement or immeuble' END,
         CASE WHEN l.code_insee IS NULL THEN 'location: no commune code and no BAN id' END]
    ).list_filter(lambda e: e IS NOT NULL)[1] AS _reject_reason,
    [CASE WHEN l.insee_had_old_prefix THEN 'insee_old_prefix' END,
     CASE WHEN l.ban_id_kind IS NULL THEN 'ban_id_missing' END,
     CASE WHEN l.ban_id_kind IN ('street', 'commune') THEN 'ban_id_not_address' END,
     CASE WHEN l.date_etablissement_dpe IS NULL THEN 'date_from_reception' END,
     CASE WHEN l.surface_habitable_logement <= 0 OR l.surface_habitable_logement > 5000
          THEN 'surface_out_of_range' END,
     CASE WHEN l.type_energie_principale_chauffage IS NULL AND l.type_energie_n1 IS NOT NULL
          THEN 'heating_energy_from_n1' END
    ].list_filter(lambda f: f IS NOT NULL) AS quality_flags,
    l._raw
FROM located AS l;
