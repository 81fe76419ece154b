-- Gold, step 0: the DPE read once. Input: view gold_dpe_src (the caller's labelled DPE).
-- Output: table gold_dpe_in, which every later gold statement reads.
-- Trap: labelled_dpe computes its labels with Python UDFs; as a view it would run them again
-- for each statement reading it. Only the columns gold uses are kept.
CREATE OR REPLACE TEMP TABLE gold_dpe_in AS
SELECT
    numero_dpe,
    numero_dpe_remplace,
    date_etablissement_dpe,
    type_batiment,
    periode_construction,
    annee_construction,
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
    ban_id_kind,
    code_insee,
    nom_commune_ban,
    code_departement,
    code_region,
    is_replaced
FROM gold_dpe_src;
