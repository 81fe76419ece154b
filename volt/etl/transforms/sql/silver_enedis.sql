-- Silver Enedis: one row per address × year as published, typed, with the derivations the join
-- needs. Input: view typed_enedis (registry columns typed, _errors, _raw). Output: checked_enedis.
CREATE OR REPLACE TEMP VIEW checked_enedis AS
WITH derived AS (
    SELECT
        t.*,
        -- Trap: a missing département column is derived from the commune code (2A/2B, 97x kept).
        COALESCE(t.code_departement, departement_of(t.code_commune)) AS code_departement_final,
        -- Trap: Paris, Lyon, Marseille are published under the whole-city code; the IRIS code
        -- (first 5 characters) names the arrondissement that the BAN and the DPE use.
        CASE WHEN t.code_commune IN ('75056', '69123', '13055')
                  AND departement_of(left(t.code_iris, 5)) = departement_of(t.code_commune)
             THEN left(t.code_iris, 5) ELSE t.code_commune END AS code_insee,
        -- The mean per site is published with 3 decimals; recompute it when absent.
        COALESCE(t.consommation_annuelle_moyenne_par_site_de_l_adresse_mwh,
                 round(t.consommation_annuelle_totale_de_l_adresse_mwh
                       / NULLIF(t.nombre_de_logements, 0), 3)) AS consommation_moyenne_final
    FROM typed_enedis AS t
)
SELECT
    d.annee,
    d.code_iris,
    d.nom_iris,
    d.numero_de_voie,
    upper(trim(d.indice_de_repetition)) AS indice_de_repetition,
    upper(trim(d.type_de_voie)) AS type_de_voie,
    upper(trim(d.libelle_de_voie)) AS libelle_de_voie,
    d.adresse,
    d.code_commune,
    d.code_insee,
    d.nom_commune,
    d.code_epci,
    d.code_departement_final AS code_departement,
    d.code_region,
    d.segment_de_client,
    d.nombre_de_logements,
    d.consommation_annuelle_totale_de_l_adresse_mwh AS consommation_totale_mwh,
    d.consommation_moyenne_final AS consommation_moyenne_mwh,
    d.consommation_annuelle_moyenne_de_la_commune_mwh AS consommation_moyenne_commune_mwh,
    d.tri_des_adresses,
    d._file,
    list_concat(
        d._errors,
        [CASE WHEN d.nombre_de_logements IS NOT NULL AND d.nombre_de_logements < 1
              THEN 'nombre_de_logements: must be at least 1' END,
         CASE WHEN d.consommation_annuelle_totale_de_l_adresse_mwh < 0
              THEN 'consommation_annuelle_totale_de_l_adresse_mwh: negative' END,
         CASE WHEN d.code_departement IS NOT NULL AND d.code_commune IS NOT NULL
                   AND d.code_departement <> departement_of(d.code_commune)
              THEN 'code_departement: does not match code_commune' END]
    ).list_filter(lambda e: e IS NOT NULL)[1] AS _reject_reason,
    [CASE WHEN d.code_departement IS NULL THEN 'departement_derived' END,
     CASE WHEN d.code_insee <> d.code_commune THEN 'plm_arrondissement_from_iris' END,
     CASE WHEN d.consommation_annuelle_moyenne_par_site_de_l_adresse_mwh IS NULL
          THEN 'moyenne_recomputed' END,
     -- Enedis publishes only addresses with >= 10 sites; fewer means an altered file.
     CASE WHEN d.nombre_de_logements < 10 THEN 'below_secret_statistique' END,
     CASE WHEN d.code_iris IS NULL THEN 'iris_missing' END
    ].list_filter(lambda f: f IS NOT NULL) AS quality_flags,
    d._raw
FROM derived AS d;
