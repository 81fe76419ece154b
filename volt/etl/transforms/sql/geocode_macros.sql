-- Address normalisation shared by both sides of the geocoding join (Enedis and BAN), so that a
-- difference of spelling can never be a difference of rule. Needs the vocabulary tables
-- geo_street_types(word, full_word) and the variables geo_words (MAP) and geo_particles (LIST) loaded
-- by volt.etl.geocode.vocabulary.

-- Trap: accents, ligatures (Œ, Æ), apostrophes, hyphens, dots and double spaces differ between
-- sources: `L'ÉGLISE`, `L EGLISE`, `Saint-Georges`, `ST. GEORGES` all fold to plain words.
CREATE OR REPLACE MACRO geo_text(x) AS
    trim(regexp_replace(
        replace(replace(upper(strip_accents(x)), 'Œ', 'OE'), 'Æ', 'AE'),
        '[^A-Z0-9]+', ' ', 'g'));

-- Trap: titles and numbers abbreviated or written out inside the name (`ST`/`SAINT`, `GAL`,
-- `DR`, `TROIS`/`3`): each whole word is replaced by its one spelling.
CREATE OR REPLACE MACRO geo_expand_words(s) AS
    array_to_string(
        list_transform(string_split(s, ' '), lambda w: COALESCE(getvariable('geo_words')[w], w)),
        ' ');

-- Fuzzy key: the name without the particles that Enedis sometimes drops (`DE LA`, `DU`) and
-- without spaces (`VICTORHUGO`).
CREATE OR REPLACE MACRO geo_core(rest) AS
    array_to_string(
        list_filter(string_split(rest, ' '),
                    lambda w: NOT list_contains(getvariable('geo_particles'), w)),
        '');

-- Trap: house numbers written with their index glued (`13B`) or zero-padded (`0013`).
CREATE OR REPLACE MACRO geo_numero(n) AS TRY_CAST(regexp_extract(trim(n), '^0*(\d+)', 1) AS INTEGER);
CREATE OR REPLACE MACRO geo_glued_indice(n) AS
    NULLIF(upper(regexp_extract(trim(n), '^\d+\s*([A-Za-z]+)$', 1)), '');

-- Trap: Paris, Lyon and Marseille arrondissements (BAN codes) also answer to the whole-city code
-- (75056, 69123, 13055) that an Enedis row keeps when its IRIS code is missing.
CREATE OR REPLACE MACRO geo_plm_city(insee) AS
    CASE WHEN insee BETWEEN '75101' AND '75120' THEN '75056'
         WHEN insee BETWEEN '69381' AND '69389' THEN '69123'
         WHEN insee BETWEEN '13201' AND '13216' THEN '13055' END;

-- One row per distinct street string of a table (column `street`): the type read from the first
-- one or two words (`AV` or `AVENUE` → AVENUE, `ROND POINT`), the rest with its words expanded,
-- the full normalised street, the fuzzy core and the name without spaces. Used for Enedis `type + libellé` and BAN
-- `nom_voie` alike.
CREATE OR REPLACE MACRO geo_street_keys(streets) AS TABLE
WITH folded AS (
    SELECT street, geo_text(street) AS norm FROM query_table(streets)
), words AS (
    SELECT street, norm, split_part(norm, ' ', 1) AS w1,
           split_part(norm, ' ', 1) || ' ' || split_part(norm, ' ', 2) AS w2
    FROM folded
), split AS (
    SELECT w.street,
           COALESCE(t2.full_word, t1.full_word) AS type_full,
           geo_expand_words(CASE WHEN t2.full_word IS NOT NULL THEN ltrim(substr(w.norm, len(w.w2) + 1))
                                 WHEN t1.full_word IS NOT NULL THEN ltrim(substr(w.norm, len(w.w1) + 1))
                                 ELSE w.norm END) AS rest
    FROM words AS w
    LEFT JOIN geo_street_types AS t2 ON t2.word = w.w2
    LEFT JOIN geo_street_types AS t1 ON t1.word = w.w1
)
SELECT street, type_full, rest,
       trim(COALESCE(type_full, '') || ' ' || rest) AS street_full,
       geo_core(rest) AS core,
       replace(rest, ' ', '') AS squashed
FROM split;
