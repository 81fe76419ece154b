-- Step 2 (run on the typed work file): one row per numero_dpe — the latest establishment date
-- wins, the others are rejected as duplicates — and a flag on DPE replaced by another one.
CREATE OR REPLACE TEMP VIEW ranked_dpe AS
SELECT
    w.*,
    row_number() OVER (
        PARTITION BY w.numero_dpe
        ORDER BY w.date_etablissement_dpe DESC NULLS LAST, w.date_reception_dpe DESC NULLS LAST,
                 w._file DESC, w.conso_5_usages_par_m2_ep DESC NULLS LAST
    ) AS _dup_rank
FROM work_dpe AS w
WHERE w._reject_reason IS NULL;

CREATE OR REPLACE TEMP VIEW final_dpe AS
SELECT
    r.* EXCLUDE (_dup_rank, _reject_reason, _raw_json),
    -- A DPE named as `numero_dpe_remplace` by another one must not be counted twice.
    r.numero_dpe IN (
        SELECT numero_dpe_remplace FROM ranked_dpe WHERE numero_dpe_remplace IS NOT NULL
    ) AS is_replaced
FROM ranked_dpe AS r
WHERE r._dup_rank = 1;

CREATE OR REPLACE TEMP VIEW duplicate_dpe AS
SELECT
    r._file,
    'numero_dpe: duplicate, the copy with the latest date was kept' AS reason,
    to_json(r)::VARCHAR AS raw
FROM (SELECT * EXCLUDE (_raw_json) FROM ranked_dpe WHERE _dup_rank > 1) AS r;
