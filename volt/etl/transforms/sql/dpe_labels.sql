-- Labelled DPE: every silver DPE column plus final electricity per m², the high-altitude scale
-- flag, today's Cep and label (2026 electricity factor, small-surface tables) and whether the
-- published label agrees with its own published values.
-- Input: silver_dpe (view of silver DPE rows); needs labels.register_label_functions() first.
CREATE OR REPLACE MACRO dpe_is_electricity(t) AS
    -- `Électricité`, `Electricite`, and `Électricité d'origine renouvelable utilisée dans le
    -- bâtiment` (on-site renewable, counted as electricity like the rest) all start alike.
    -- (A case-insensitive regex: strip_accents costs ~1 µs a row, ten times as much.)
    regexp_matches(t, '^\s*[ée]lectricit', 'i');

CREATE OR REPLACE TEMP VIEW labelled_dpe AS
WITH referenced AS (
    SELECT
        d.*,
        -- Trap: building-level DPE report the whole building's consumption and surface.
        CASE WHEN d.type_batiment = 'immeuble' THEN d.surface_habitable_immeuble
             ELSE d.surface_habitable_logement END AS _surface_ref,
        -- kWhEF/yr of electricity in the breakdown; NULL if an electric line lacks its amount.
        CASE WHEN dpe_is_electricity(d.type_energie_n1) THEN d.conso_5_usages_ef_energie_n1
             ELSE 0 END
        + CASE WHEN dpe_is_electricity(d.type_energie_n2) THEN d.conso_5_usages_ef_energie_n2
               ELSE 0 END
        + CASE WHEN dpe_is_electricity(d.type_energie_n3) THEN d.conso_5_usages_ef_energie_n3
               ELSE 0 END AS _elec_ef_total,
        d.type_energie_n1 IS NOT NULL AS _has_breakdown,
        -- Heating and hot water both electric (or hot water unknown): the rest of the five uses
        -- (lighting, cooling, auxiliaries) is electric anyway, so all final energy is electricity.
        COALESCE(d.is_electric_heating, false)
            AND (d.type_energie_principale_ecs IS NULL
                 OR dpe_is_electricity(d.type_energie_principale_ecs)) AS _all_electric
    FROM silver_dpe AS d
),
electricity AS (
    SELECT
        r.*,
        CASE
            WHEN r._has_breakdown AND r._elec_ef_total IS NOT NULL THEN 'breakdown'
            -- Trap: some DPE have no per-energy breakdown; an all-electric one is still known.
            WHEN r._all_electric THEN 'all_electric'
            -- Electric heating with another hot-water energy: the split is unknown, so no
            -- correction (0) rather than a guess that would flatter the label; flagged here.
            WHEN COALESCE(r.is_electric_heating, false) THEN 'electric_share_unknown'
            ELSE 'no_electricity'
        END AS elec_ef_source
    FROM referenced AS r
),
inputs AS (
    SELECT
        e.*,
        CASE e.elec_ef_source
            WHEN 'breakdown' THEN
                CASE WHEN e._elec_ef_total = 0 THEN 0.0
                     -- No usable surface: the per-m² amount (and today's label) is unknown.
                     WHEN e._surface_ref > 0 THEN e._elec_ef_total / e._surface_ref END
            WHEN 'all_electric' THEN e.conso_5_usages_par_m2_ef
            ELSE 0.0
        END AS elec_ef_kwh_m2,
        -- The 3CL high-altitude scale: above 800 m, in zones H1b, H1c and H2d only.
        COALESCE(regexp_matches(e.classe_altitude, '^\s*sup[ée]rieur [àa] 800', 'i')
                 AND upper(trim(e.zone_climatique)) IN ('H1B', 'H1C', 'H2D'), false)
            AS altitude_over_800m
    FROM electricity AS e
)
SELECT
    i.* EXCLUDE (_surface_ref, _elec_ef_total, _has_breakdown, _all_electric),
    dpe_cep_current(i.conso_5_usages_par_m2_ep, i.elec_ef_kwh_m2, i.date_etablissement_dpe)
        AS cep_current_kwh_m2,
    dpe_label_current(i.conso_5_usages_par_m2_ep, i.emission_ges_5_usages_par_m2, i._surface_ref,
                      i.date_etablissement_dpe, i.elec_ef_kwh_m2, i.altitude_over_800m)
        AS label_recomputed,
    dpe_label_inconsistent(i.etiquette_dpe, i.conso_5_usages_par_m2_ep,
                           i.emission_ges_5_usages_par_m2, i._surface_ref,
                           i.date_etablissement_dpe, i.altitude_over_800m)
        AS inconsistent_label
FROM inputs AS i;
