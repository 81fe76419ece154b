-- Typing macros shared by every silver transform. Every input column arrives as VARCHAR;
-- each macro returns NULL when the text cannot be that type, and silver turns
-- "raw not empty but typed NULL" into a reject with the reason.

-- Empty strings and whitespace are missing values; R-made files also write NA (BAN samples).
CREATE OR REPLACE MACRO v_text(x) AS NULLIF(NULLIF(trim(x), ''), 'NA');

-- Trap: numbers written with a decimal comma ("1208,4"), spaces or no-break spaces as
-- thousands separators, or as floats ("54.0").
CREATE OR REPLACE MACRO v_float(x) AS
    TRY_CAST(replace(regexp_replace(v_text(x), '[\s\x{00A0}\x{202F}]', '', 'g'), ',', '.') AS DOUBLE);

-- Integers may come as "54.0" (data-fair); "54.5" is not an integer and is rejected.
CREATE OR REPLACE MACRO v_int(x) AS
    CASE WHEN v_float(x) = floor(v_float(x)) AND abs(v_float(x)) < 1e15
         THEN CAST(v_float(x) AS BIGINT) END;

-- Enedis `annee` is a year, sometimes exported as a date ("2022-01-01").
CREATE OR REPLACE MACRO v_year(x) AS
    CASE WHEN regexp_full_match(v_text(x), '(19|20)\d\d(-\d\d-\d\d.*|\.0)?')
         THEN CAST(left(v_text(x), 4) AS INTEGER) END;

-- Trap: dates as ISO (2023-04-18, with or without a time) or French dd/mm/yyyy.
CREATE OR REPLACE MACRO v_date(x) AS
    COALESCE(
        TRY_CAST(left(v_text(x), 10) AS DATE),
        CAST(TRY_STRPTIME(v_text(x), '%d/%m/%Y') AS DATE)
    );

-- Trap: codes written as numbers lose their leading zero (6029 for 06029) or gain ".0".
CREATE OR REPLACE MACRO v_digits(x) AS regexp_replace(upper(v_text(x)), '\.0$', '');

CREATE OR REPLACE MACRO v_code_insee(x) AS
    CASE WHEN regexp_full_match(v_digits(x), '\d{4}') THEN lpad(v_digits(x), 5, '0')
         WHEN regexp_full_match(v_digits(x), '\d{5}|2[AB]\d{3}') THEN v_digits(x) END;

-- Trap: communes nouvelles — the DPE's BAN geocoding writes a former commune as `old48039`.
CREATE OR REPLACE MACRO v_code_insee_ban(x) AS
    v_code_insee(regexp_replace(v_text(x), '^old', '', 'i'));

CREATE OR REPLACE MACRO v_code_iris(x) AS
    CASE WHEN regexp_full_match(v_digits(x), '\d{8}') THEN lpad(v_digits(x), 9, '0')
         WHEN regexp_full_match(v_digits(x), '\d{9}|2[AB]\d{7}') THEN v_digits(x) END;

CREATE OR REPLACE MACRO v_code_postal(x) AS
    CASE WHEN regexp_full_match(v_digits(x), '\d{4}') THEN lpad(v_digits(x), 5, '0')
         WHEN regexp_full_match(v_digits(x), '\d{5}') THEN v_digits(x) END;

-- Départements 01–95, Corsica 2A/2B, overseas 971–978 (a lost zero: 6 → 06).
CREATE OR REPLACE MACRO v_code_departement(x) AS
    CASE WHEN regexp_full_match(v_digits(x), '[1-9]') THEN lpad(v_digits(x), 2, '0')
         WHEN regexp_full_match(v_digits(x), '0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-8]')
         THEN v_digits(x) END;

CREATE OR REPLACE MACRO v_code_region(x) AS
    CASE WHEN regexp_full_match(v_digits(x), '\d') THEN lpad(v_digits(x), 2, '0')
         WHEN regexp_full_match(v_digits(x), '\d{2}') THEN v_digits(x) END;

CREATE OR REPLACE MACRO v_code_epci(x) AS
    CASE WHEN regexp_full_match(v_digits(x), '\d{9}') THEN v_digits(x) END;

CREATE OR REPLACE MACRO v_label(x) AS
    CASE WHEN upper(v_text(x)) IN ('A', 'B', 'C', 'D', 'E', 'F', 'G') THEN upper(v_text(x)) END;

-- BAN interoperability keys are compared as written, lower-case suffixes included.
CREATE OR REPLACE MACRO v_ban_id(x) AS v_text(x);

-- Département of an INSEE code: 3 characters overseas (97x), else 2.
CREATE OR REPLACE MACRO departement_of(insee) AS
    CASE WHEN insee LIKE '97%' THEN left(insee, 3) ELSE left(insee, 2) END;
