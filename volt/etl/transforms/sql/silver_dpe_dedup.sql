-- Silver DPE, step 2, on the typed work file: one row per numero_dpe — the latest establishment
-- date wins, the other copies are rejected as duplicates — and a flag on DPE that another one
-- replaces. The window runs once, on the few key columns; the wide rows are read once after.
CREATE OR REPLACE TEMP TABLE dpe_duplicate_rows AS
SELECT file_row_number
FROM (
    SELECT
        w.file_row_number,
        row_number() OVER (
            PARTITION BY w.numero_dpe
            ORDER BY w.date_etablissement_dpe DESC NULLS LAST, w.date_reception_dpe DESC NULLS LAST,
                     w._file DESC, w.conso_5_usages_par_m2_ep DESC NULLS LAST,
                     w.file_row_number
        ) AS dup_rank
    FROM work_dpe AS w
    WHERE w._reject_reason IS NULL
)
WHERE dup_rank > 1;

-- Trap: a DPE named as `numero_dpe_remplace` by a newer one must not be counted twice.
CREATE OR REPLACE TEMP TABLE dpe_replaced AS
SELECT DISTINCT numero_dpe_remplace AS numero_dpe
FROM work_dpe
WHERE _reject_reason IS NULL AND numero_dpe_remplace IS NOT NULL;

CREATE OR REPLACE TEMP VIEW final_dpe AS
SELECT
    w.* EXCLUDE (file_row_number, _reject_reason, _raw_json),
    w.numero_dpe IN (SELECT numero_dpe FROM dpe_replaced) AS is_replaced
FROM work_dpe AS w
WHERE w._reject_reason IS NULL
  AND w.file_row_number NOT IN (SELECT file_row_number FROM dpe_duplicate_rows);

CREATE OR REPLACE TEMP VIEW duplicate_dpe AS
SELECT
    d._file,
    'numero_dpe: duplicate, the copy with the latest date was kept' AS reason,
    to_json(d)::VARCHAR AS raw
FROM (
    SELECT * EXCLUDE (file_row_number, _reject_reason, _raw_json)
    FROM work_dpe
    WHERE file_row_number IN (SELECT file_row_number FROM dpe_duplicate_rows)
) AS d;
