-- Silver BAN: the national address file typed. Input: typed_ban. Output: checked_ban.
CREATE OR REPLACE TEMP VIEW checked_ban AS
SELECT
    t.id,
    t.id_fantoir,
    t.numero,
    -- `rep` is the indice de répétition (bis, ter, a, b…), compared lower-case.
    lower(t.rep) AS rep,
    t.nom_voie,
    t.code_postal,
    t.code_insee,
    departement_of(t.code_insee) AS code_departement,
    t.nom_commune,
    -- Communes déléguées keep their former code here; the join key stays `id`.
    t.code_insee_ancienne_commune,
    t.nom_ancienne_commune,
    t.x,
    t.y,
    t.lon,
    t.lat,
    t.type_position,
    t.alias,
    t.nom_ld,
    t.libelle_acheminement,
    t.nom_afnor,
    t.source_position,
    t.source_nom_voie,
    t.certification_commune,
    t.cad_parcelles,
    t._file,
    list_concat(
        t._errors,
        [CASE WHEN t.id IS NOT NULL AND t.code_insee IS NOT NULL
                   AND split_part(t.id, '_', 1) <> t.code_insee
              THEN 'id: does not start with code_insee' END,
         CASE WHEN t.lon NOT BETWEEN -180 AND 180 OR t.lat NOT BETWEEN -90 AND 90
              THEN 'lon/lat: out of range' END]
    ).list_filter(lambda e: e IS NOT NULL)[1] AS _reject_reason,
    [CASE WHEN t.lon IS NULL OR t.lat IS NULL THEN 'no_coordinates' END,
     CASE WHEN t.id_fantoir IS NULL THEN 'no_fantoir' END
    ].list_filter(lambda f: f IS NOT NULL) AS quality_flags,
    t._raw
FROM typed_ban AS t;
