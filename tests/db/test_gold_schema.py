"""The gold tables in PostgreSQL match volt.etl.gold_schema; who may read them, who may load."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors
from psycopg.rows import TupleRow

from volt.config import Settings
from volt.db import migrate
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.etl.gold_schema import GOLD_TABLES, PG_TYPES, PUBLISHED_TABLES

Conn = psycopg.Connection[TupleRow]

COLUMNS_SQL = """
SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = 'volt' AND table_name = %s
"""
KEY_SQL = """
SELECT array_agg(a.attname ORDER BY k.ord)
FROM pg_constraint c
CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
WHERE c.conrelid = %s::regclass AND c.contype = %s
GROUP BY c.oid
"""
FUNCTION_ACL_SQL = """
SELECT p.proname, p.prosecdef, p.proowner::regrole::text, p.proconfig,
       has_function_privilege('volt_writer', p.oid, 'EXECUTE'),
       has_function_privilege('volt_reader', p.oid, 'EXECUTE')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'volt' AND p.proname LIKE 'volt\\_%%\\_staging' ORDER BY 1
"""


@pytest.mark.parametrize("table", PUBLISHED_TABLES, ids=lambda t: t.name)
def test_columns_and_types_match_the_contract(owner_conn: Conn, table) -> None:  # type: ignore[no-untyped-def]
    actual = dict(owner_conn.execute(COLUMNS_SQL, (table.name,)).fetchall())
    assert actual == {name: PG_TYPES[duck] for name, duck in table.columns}


@pytest.mark.parametrize("table", PUBLISHED_TABLES, ids=lambda t: t.name)
def test_keys_match_the_contract(owner_conn: Conn, table) -> None:  # type: ignore[no-untyped-def]
    primary = owner_conn.execute(KEY_SQL, (table.name, "p")).fetchall()
    unique = owner_conn.execute(KEY_SQL, (table.name, "u")).fetchall()
    assert (primary, unique) == ([(list(table.key),)], [])


def test_dpe_and_enedis_rows_stay_in_the_gold_zone() -> None:
    assert [t.name for t in GOLD_TABLES if t not in PUBLISHED_TABLES] == [
        "dpe",
        "enedis_consumption",
    ]


def test_there_is_no_other_gold_like_table(owner_conn: Conn) -> None:
    rows = owner_conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'volt' ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in rows] == [
        "alembic_version",
        "area_cuts",
        "areas",
        "audit_log",
        "ban_addresses",
        "buildings",
        "communes",
        "data_loads",
        "dpe_vs_metered",
        "etl_runs",
        "users",
    ]


@pytest.mark.parametrize(
    "table", ["communes", "buildings", "areas", "dpe_vs_metered", "area_cuts", "data_loads"]
)
def test_reader_can_select_serving_tables(reader_conn: Conn, table: str) -> None:
    assert reader_conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


@pytest.mark.parametrize("table", ["ban_addresses"])
def test_reader_cannot_select_internal_gold_tables(reader_conn: Conn, table: str) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        reader_conn.execute(f"SELECT count(*) FROM {table}")


def test_writer_cannot_create_or_rename_tables(writer_conn: Conn) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        writer_conn.execute("CREATE TABLE volt.communes__staging (x int)")
    writer_conn.rollback()
    with pytest.raises(errors.InsufficientPrivilege):
        writer_conn.execute("ALTER TABLE communes RENAME TO communes__old")


def test_only_the_writer_may_run_the_staging_functions(owner_conn: Conn) -> None:
    rows = owner_conn.execute(FUNCTION_ACL_SQL).fetchall()
    path = ["search_path=volt, public, pg_temp"]
    assert rows == [
        (
            "volt_index_staging",
            True,
            "volt_owner",
            [*path, "maintenance_work_mem=256MB"],
            True,
            False,
        ),
        ("volt_prepare_staging", True, "volt_owner", path, True, False),
        ("volt_swap_staging", True, "volt_owner", path, True, False),
    ]


def test_reader_cannot_run_the_staging_functions(reader_conn: Conn) -> None:
    reader_conn.execute("SET TRANSACTION READ WRITE")
    with pytest.raises(errors.InsufficientPrivilege):
        reader_conn.execute("SELECT volt_prepare_staging()")


def test_street_and_commune_search_use_unaccented_trigram_indexes(owner_conn: Conn) -> None:
    owner_conn.execute("SET LOCAL enable_seqscan = off")
    plans = [
        owner_conn.execute(
            f"EXPLAIN (COSTS OFF) SELECT 1 FROM {table} WHERE volt_unaccent({column}) % 'Eglise'"
        ).fetchall()
        for table, column in (("communes", "nom"), ("areas", "name"))
    ]
    assert any("communes_nom_trgm_idx" in line[0] for line in plans[0])
    assert any("areas_name_trgm_idx" in line[0] for line in plans[1])


@pytest.mark.parametrize(
    ("place", "index"),
    [("code_insee", "buildings_commune_idx"), ("street_code", "buildings_street_idx")],
)
def test_a_building_page_reads_its_place_index_in_ban_id_order(
    owner_conn: Conn, place: str, index: str
) -> None:
    owner_conn.execute("SET LOCAL enable_seqscan = off")
    plan = owner_conn.execute(
        f"EXPLAIN (COSTS OFF) SELECT ban_id FROM buildings WHERE annee = 2023 AND {place} = 'x' "
        'AND ban_id COLLATE "C" > \'\' ORDER BY ban_id COLLATE "C" LIMIT 51'
    ).fetchall()
    lines = [line[0] for line in plan]
    assert any(index in line for line in lines), lines
    assert not any("Sort" in line for line in lines), lines  # the index gives the order


def test_a_departements_communes_page_reads_one_ordered_range(owner_conn: Conn) -> None:
    owner_conn.execute("SET LOCAL enable_seqscan = off")
    plan = owner_conn.execute(
        "EXPLAIN (COSTS OFF) SELECT code_insee FROM communes WHERE code_departement = '21' "
        "AND code_insee > '' ORDER BY code_insee LIMIT 51"
    ).fetchall()
    lines = [line[0] for line in plan]
    assert any("communes_departement_idx" in line for line in lines), lines
    assert not any("Sort" in line or "Filter" in line for line in lines), lines


def test_only_one_load_can_be_current(owner_conn: Conn) -> None:
    insert = "INSERT INTO data_loads (data_version, run_id, is_current) VALUES (%s, 'r', %s)"
    owner_conn.execute(insert, ("v1", True))
    owner_conn.execute(insert, ("v0", False))
    with pytest.raises(errors.UniqueViolation):
        owner_conn.execute(insert, ("v2", True))


def test_downgrade_to_0002_then_0001_and_back(empty_db_settings: Settings) -> None:
    assert migrate.upgrade(empty_db_settings).revision == "0005"
    assert migrate.downgrade(empty_db_settings, "0002") == "0002"
    with connect(empty_db_settings, DbRole.WRITER) as conn:  # 0002's internal tables are back
        assert conn.execute("SELECT count(*) FROM dpe, enedis_consumption").fetchone() == (0,)
    assert migrate.downgrade(empty_db_settings, "0001") == "0001"
    assert migrate.upgrade(empty_db_settings).revision == "0005"
