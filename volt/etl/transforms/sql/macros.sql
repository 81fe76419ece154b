-- Typing macros shared by every silver transform. Every input column arrives as VARCHAR and is
-- first cleaned once with clean_text; each to_<type> macro takes that cleaned text and returns NULL
-- when it cannot be that type. Silver turns "text present but typed NULL" into a reject reason.
-- (Macros are expanded inline, so each references its argument as few times as it can.)

-- Empty strings and whitespace are missing values; R-made files also write NA (BAN samples).
CREATE OR REPLACE MACRO clean_text(x) AS NULLIF(NULLIF(trim(x), ''), 'NA');
-- Free text keeps its spelling; trimming every text column costs ~1 s per million DPE, so only
-- the text columns that rules read are trimmed, in the silver SQL of their source.
CREATE OR REPLACE MACRO clean_free_text(x) AS NULLIF(NULLIF(x, ''), 'NA');

-- Trap: numbers written with a decimal comma ("1208,4") or spaces / no-break spaces as
-- thousands separators; the plain cast is tried first because it is by far the common case.
CREATE OR REPLACE MACRO to_float(t) AS
    COALESCE(
        TRY_CAST(t AS DOUBLE),
        TRY_CAST(replace(replace(replace(replace(t, ',', '.'), ' ', ''), chr(160), ''), chr(8239), '')
                 AS DOUBLE)
    );

-- Trap: integers written as floats ("54.0", data-fair); "54.5" is not an integer and is rejected.
CREATE OR REPLACE MACRO to_int(t) AS
    COALESCE(TRY_CAST(t AS BIGINT), TRY_CAST(regexp_replace(t, '[.,]0*$', '') AS BIGINT));

-- Enedis `annee` is a year, sometimes exported as a date ("2022-01-01") or a float ("2022.0").
CREATE OR REPLACE MACRO to_year(t) AS
    CASE WHEN regexp_full_match(t, '(19|20)\d\d(-\d\d-\d\d.*|\.0)?')
         THEN CAST(left(t, 4) AS INTEGER) END;

-- Trap: dates as ISO (2023-04-18, with or without a time) or French dd/mm/yyyy.
CREATE OR REPLACE MACRO to_date(t) AS
    COALESCE(TRY_CAST(left(t, 10) AS DATE), CAST(TRY_STRPTIME(t, '%d/%m/%Y') AS DATE));

-- Trap: codes written as numbers lose their leading zero (6029 for 06029) or gain ".0";
-- Corsica keeps 2A/2B.
CREATE OR REPLACE MACRO to_code_insee(t) AS
    CASE WHEN regexp_full_match(t, '(\d{5}|2[ABab]\d{3})(\.0)?') THEN upper(left(t, 5))
         WHEN regexp_full_match(t, '\d{4}(\.0)?') THEN lpad(left(t, 4), 5, '0') END;

-- Trap: communes nouvelles — the DPE's BAN geocoding writes a former commune as `old48039`.
CREATE OR REPLACE MACRO to_code_insee_ban(t) AS
    to_code_insee(CASE WHEN t ILIKE 'old%' THEN substr(t, 4) ELSE t END);

CREATE OR REPLACE MACRO to_code_iris(t) AS
    CASE WHEN regexp_full_match(t, '(\d{9}|2[ABab]\d{7})(\.0)?') THEN upper(left(t, 9))
         WHEN regexp_full_match(t, '\d{8}(\.0)?') THEN lpad(left(t, 8), 9, '0') END;

CREATE OR REPLACE MACRO to_code_postal(t) AS
    CASE WHEN regexp_full_match(t, '\d{5}(\.0)?') THEN left(t, 5)
         WHEN regexp_full_match(t, '\d{4}(\.0)?') THEN lpad(left(t, 4), 5, '0') END;

-- Départements 01–95 (no 20 since 1976), Corsica 2A/2B, overseas 971–978 (a lost zero: 6 → 06).
CREATE OR REPLACE MACRO to_code_departement(t) AS
    CASE WHEN regexp_full_match(t, '(0[1-9]|1\d|2[1-9ABab]|[3-8]\d|9[0-5]|97[1-8])(\.0)?')
         THEN upper(regexp_replace(t, '\.0$', ''))
         WHEN regexp_full_match(t, '[1-9](\.0)?') THEN lpad(left(t, 1), 2, '0') END;

CREATE OR REPLACE MACRO to_code_region(t) AS
    CASE WHEN regexp_full_match(t, '\d\d(\.0)?') THEN left(t, 2)
         WHEN regexp_full_match(t, '\d(\.0)?') THEN lpad(left(t, 1), 2, '0') END;

CREATE OR REPLACE MACRO to_code_epci(t) AS
    CASE WHEN regexp_full_match(t, '\d{9}(\.0)?') THEN left(t, 9) END;

CREATE OR REPLACE MACRO to_label(t) AS
    CASE WHEN upper(t) IN ('A', 'B', 'C', 'D', 'E', 'F', 'G') THEN upper(t) END;

-- BAN interoperability keys are compared as written, lower-case suffixes included.
CREATE OR REPLACE MACRO to_ban_id(t) AS t;

CREATE OR REPLACE MACRO to_text(t) AS t;

-- Département of an INSEE code: 3 characters overseas (97x), else 2.
CREATE OR REPLACE MACRO departement_of(insee) AS
    CASE WHEN insee LIKE '97%' THEN left(insee, 3) ELSE left(insee, 2) END;
