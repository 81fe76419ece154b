"""Real rows (tests/fixtures/real, extracts of shared/fixtures/real) parse to silver exactly."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.etl.conftest import FIXTURES, SHARED_FIXTURES

CODE_PATTERNS = {
    "code_insee": r"\d{5}|2[AB]\d{3}",
    "code_commune": r"\d{5}|2[AB]\d{3}",
    "code_iris": r"\d{9}|2[AB]\d{7}",
    "code_departement": r"\d{2}|2[AB]|97\d",
    "code_postal_ban": r"\d{5}",
    "code_postal": r"\d{5}",
}


def real_inputs(src: Path, mapping: dict[str, str]) -> dict[str, bytes]:
    return {target: (src / name).read_bytes() for target, name in mapping.items()}


def assert_codes_are_text_with_zeros(rows: list[dict]) -> None:  # type: ignore[type-arg]
    for row in rows:
        for col, pattern in CODE_PATTERNS.items():
            value = row.get(col)
            if value is not None:
                assert isinstance(value, str) and re.fullmatch(pattern, value), (col, value)


def test_real_extracts_parse_with_expected_counts(run_silver) -> None:
    run = run_silver(
        real_inputs(
            FIXTURES,
            {
                "enedis/cannes-2022.csv": "cannes-enedis-2022.csv",
                "dpe/cannes.jsonl": "cannes-dpe-legacy.jsonl",
                "dpe/lozere.csv": "lozere-dpe-legacy.csv",
                "dpe/savoie-neufs.csv": "savoie-dpe-neufs-current.csv",
                "ban/adresses-48.csv": "adresses-48.csv",
                "ban/adresses-73.csv": "adresses-73-74-extract.csv",
            },
        )
    )
    counts = {s.source: (s.rows_in, s.rows_out, s.rows_rejected) for s in run.report.stages[1:]}
    # 46 + 151 + 208 DPE lines; 3 + 4 duplicate numbers; 120 + 300 BAN rows.
    assert counts == {"enedis": (81, 81, 0), "dpe": (405, 398, 7), "ban": (420, 420, 0)}
    enedis = run.rows("enedis")
    assert_codes_are_text_with_zeros(enedis)
    assert min(r["nombre_de_logements"] for r in enedis) == 10
    assert {r["code_departement"] for r in enedis} == {"06", "40", "59", "76"}
    dpe = run.rows("dpe")
    assert_codes_are_text_with_zeros(dpe)
    old = [r for r in dpe if "insee_old_prefix" in r["quality_flags"]]
    assert [(r["code_insee"], r["nom_commune_ban"]) for r in old] == [("48039", "Chanac")]
    savoie = [r for r in dpe if r["_file"] == "dpe/savoie-neufs.csv"]
    assert {r["code_postal_ban"] for r in savoie} >= {"74000"}
    assert_codes_are_text_with_zeros(run.rows("ban"))


def test_lozere_dpe_all_join_the_ban_file(run_silver) -> None:
    run = run_silver(
        real_inputs(
            FIXTURES,
            {"dpe/lozere.csv": "lozere-dpe-legacy.csv", "ban/adresses-48.csv": "adresses-48.csv"},
        )
    )
    silver = run.zones.silver(run.report.run_id)
    joined = duckdb.sql(
        f"SELECT count(*) FILTER (WHERE b.id IS NOT NULL), count(*) "
        f"FROM read_parquet('{silver}/dpe/**/*.parquet') d "
        f"LEFT JOIN read_parquet('{silver}/ban/**/*.parquet') b ON b.id = d.identifiant_ban"
    ).fetchall()[0]
    assert joined == (151, 151)


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="shared/fixtures not present")
def test_full_shared_fixtures_parse_with_the_counts_of_their_readme(run_silver, tmp_path) -> None:
    s = SHARED_FIXTURES
    run = run_silver(
        real_inputs(
            s,
            {
                "enedis/cannes.csv": "cannes-2022/enedis.csv",
                "dpe/cannes.jsonl": "cannes-2022/dpe_legacy_keys.jsonl",
                "dpe/lozere.csv": "lozere/dpe_legacy_keys.csv",
                "dpe/savoie.csv": "savoie/dpe_neufs_new_keys.csv",
                "ban/adresses-48.csv": "lozere/adresses-48.csv",
                "ban/adresses-73.csv": "savoie/adresses-73-74-sample.csv",
            },
        )
    )
    by_file = {}
    for row in run.rows("dpe"):
        by_file[row["_file"]] = by_file.get(row["_file"], 0) + 1
    # README: 981 lines / 970 unique; 2,594 rows; 4,562 rows of which 4,546 distinct numbers.
    assert by_file == {"dpe/cannes.jsonl": 970, "dpe/lozere.csv": 2594, "dpe/savoie.csv": 4546}
    assert [(s.source, s.rows_in, s.rows_out, s.rows_rejected) for s in run.report.stages[1:]] == [
        ("enedis", 81, 81, 0),
        ("dpe", 8137, 8110, 27),
        ("ban", 11526, 11526, 0),
    ]
    silver = run.zones.silver(run.report.run_id)
    joined = duckdb.sql(
        "SELECT count(*) FILTER (WHERE b.id IS NOT NULL) "
        f"FROM read_parquet('{silver}/dpe/**/*.parquet') d "
        f"JOIN read_parquet('{silver}/ban/**/*.parquet') b ON b.id = d.identifiant_ban "
        "WHERE d._file = 'dpe/lozere.csv'"
    ).fetchall()[0]
    assert joined == (2594,)
    shutil.rmtree(tmp_path / "zones")
