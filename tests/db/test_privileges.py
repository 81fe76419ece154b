"""Least privilege as the API and the ETL see it: what each role can and cannot do."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors
from psycopg.rows import TupleRow

Conn = psycopg.Connection[TupleRow]

INSERT_COMMUNE_SQL = "INSERT INTO communes (code_insee, nom, code_departement) VALUES (%s, %s, %s)"
INSERT_ADDRESS_SQL = "INSERT INTO ban_addresses (id, code_insee, lon, lat) VALUES (%s, %s, %s, %s)"


def test_reader_can_select_communes(reader_conn: Conn):
    assert reader_conn.execute("SELECT count(*) FROM communes").fetchone() == (0,)


@pytest.mark.parametrize("table", ["ban_addresses", "users", "audit_log", "etl_runs"])
def test_reader_is_denied_internal_tables(reader_conn: Conn, table: str):
    with pytest.raises(errors.InsufficientPrivilege) as caught:
        reader_conn.execute(f"SELECT * FROM {table}")
    assert str(caught.value).startswith(f"permission denied for table {table}")


def test_reader_transactions_are_read_only(reader_conn: Conn):
    with pytest.raises(errors.ReadOnlySqlTransaction):
        reader_conn.execute(INSERT_COMMUNE_SQL, ("06029", "Cannes", "06"))


def test_reader_cannot_insert_even_in_a_read_write_transaction(reader_conn: Conn):
    reader_conn.execute("SET TRANSACTION READ WRITE")
    with pytest.raises(errors.InsufficientPrivilege) as caught:
        reader_conn.execute(INSERT_COMMUNE_SQL, ("06029", "Cannes", "06"))
    assert str(caught.value).startswith("permission denied for table communes")


def test_reader_session_settings(reader_conn: Conn):
    rows = reader_conn.execute(
        "SELECT current_setting('search_path'), current_setting('statement_timeout'), "
        "current_setting('transaction_read_only'), current_user"
    ).fetchone()
    assert rows == ('"volt", public', "5s", "on", "volt_reader")


def test_writer_can_insert_an_address_and_read_it_back(writer_conn: Conn):
    writer_conn.execute(INSERT_ADDRESS_SQL, ("06029_0100_00016", "06029", 7.01, 43.55))
    row = writer_conn.execute("SELECT id, code_insee, lon, lat FROM ban_addresses").fetchone()
    assert row == ("06029_0100_00016", "06029", 7.01, 43.55)


def test_writer_records_a_user_and_an_audit_event(writer_conn: Conn):
    user = writer_conn.execute(
        "INSERT INTO users (email) VALUES (%s) RETURNING id, role, is_active", ("Ana@x.fr",)
    ).fetchone()
    assert user is not None and user[1:] == ("reader", True)
    writer_conn.execute(
        "INSERT INTO audit_log (actor_user_id, action, ip) VALUES (%s, 'login', '192.0.2.1')",
        (user[0],),
    )
    assert writer_conn.execute("SELECT action, host(ip) FROM audit_log").fetchall() == [
        ("login", "192.0.2.1")
    ]
    with pytest.raises(errors.UniqueViolation):
        writer_conn.execute("INSERT INTO users (email) VALUES ('ana@X.FR')")


def test_writer_cannot_delete_audit_events(writer_conn: Conn):
    with pytest.raises(errors.InsufficientPrivilege):
        writer_conn.execute("DELETE FROM audit_log")


def test_writer_cannot_create_tables_in_the_schema(writer_conn: Conn):
    with pytest.raises(errors.InsufficientPrivilege):
        writer_conn.execute("CREATE TABLE volt.staging (x int)")


def test_writer_can_stage_in_a_temporary_table(writer_conn: Conn):
    writer_conn.execute("CREATE TEMP TABLE staging_communes (LIKE communes) ON COMMIT DROP")
    writer_conn.execute("INSERT INTO staging_communes VALUES ('2A004', 'Ajaccio', '2A')")
    writer_conn.execute("INSERT INTO communes SELECT * FROM staging_communes")
    assert writer_conn.execute("SELECT code_insee FROM communes").fetchall() == [("2A004",)]


def test_a_code_that_lost_its_leading_zero_is_refused(writer_conn: Conn):
    with pytest.raises(errors.CheckViolation):
        writer_conn.execute(INSERT_COMMUNE_SQL, ("6029", "Cannes", "6"))


def test_owner_owns_and_can_read_everything(owner_conn: Conn):
    assert owner_conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_trigram_and_unaccent_work_for_the_reader(reader_conn: Conn):
    row = reader_conn.execute(
        "SELECT unaccent('Élysée'), similarity('rue de la paix', 'rue de la paix'), show_trgm('ab')"
    ).fetchone()
    assert row == ("Elysee", 1.0, ["  a", " ab", "ab "])
