"""Roles, schema, ownership and grants after `upgrade`; idempotence; downgrade and back."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from volt.config import Settings, load_settings
from volt.db import migrate
from volt.db.admin import RoleChange
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.errors import ConfigError

TABLES = [
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
GRANTS_SQL = """
SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type)
FROM information_schema.role_table_grants
WHERE grantee = %s AND table_schema = %s
GROUP BY table_name ORDER BY table_name
"""
OWNERS_SQL = "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = %s ORDER BY 1"
DML = "DELETE,INSERT,SELECT,TRUNCATE,UPDATE"


def admin_rows(settings: Settings, query: str, *params: object) -> list[tuple[object, ...]]:
    assert settings.database_url is not None
    with psycopg.connect(settings.database_url.get_secret_value()) as conn:
        return conn.execute(query, params).fetchall()


def test_upgrade_is_idempotent(pg_settings: Settings):
    report = migrate.upgrade(pg_settings)
    assert report.roles == (
        RoleChange(DbRole.OWNER, "volt_owner", created=False),
        RoleChange(DbRole.WRITER, "volt_writer", created=False),
        RoleChange(DbRole.READER, "volt_reader", created=False),
    )
    assert (report.schema, report.revision) == ("volt", "0005")
    assert migrate.upgrade(pg_settings).revision == "0005"
    assert migrate.current_revision(pg_settings) == "0005"


def test_every_table_is_owned_by_the_owner_role(pg_settings: Settings):
    rows = admin_rows(pg_settings, OWNERS_SQL, "volt")
    assert rows == [(table, "volt_owner") for table in TABLES]
    schema_owner = admin_rows(
        pg_settings, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'volt'"
    )
    assert schema_owner == [("volt_owner",)]


def test_reader_is_granted_select_on_serving_tables_only(pg_settings: Settings):
    assert admin_rows(pg_settings, GRANTS_SQL, "volt_reader", "volt") == [
        ("area_cuts", "SELECT"),
        ("areas", "SELECT"),
        ("buildings", "SELECT"),
        ("communes", "SELECT"),
        ("data_loads", "SELECT"),
        ("dpe_vs_metered", "SELECT"),
    ]


def test_writer_grants(pg_settings: Settings):
    assert admin_rows(pg_settings, GRANTS_SQL, "volt_writer", "volt") == [
        ("area_cuts", DML),
        ("areas", DML),
        ("audit_log", "INSERT,SELECT"),
        ("ban_addresses", DML),
        ("buildings", DML),
        ("communes", DML),
        ("data_loads", "SELECT"),
        ("dpe_vs_metered", DML),
        ("etl_runs", DML),
        ("users", "INSERT,SELECT,UPDATE"),
    ]


def test_roles_are_plain_login_roles(pg_settings: Settings):
    rows = admin_rows(
        pg_settings,
        "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls "
        "FROM pg_roles WHERE rolname LIKE 'volt\\_%%' ORDER BY 1",
    )
    assert rows == [
        ("volt_owner", True, False, False, False, False),
        ("volt_reader", True, False, False, False, False),
        ("volt_writer", True, False, False, False, False),
    ]


def test_downgrade_to_base_then_upgrade(empty_db_settings: Settings):
    settings = empty_db_settings
    assert migrate.upgrade(settings).revision == "0005"
    assert migrate.downgrade(settings, migrate.BASE) is None
    assert admin_rows(settings, OWNERS_SQL, "volt") == [("alembic_version", "volt_owner")]
    assert migrate.current_revision(settings) is None
    assert migrate.upgrade(settings).revision == "0005"
    assert [row[0] for row in admin_rows(settings, OWNERS_SQL, "volt")] == TABLES


def test_configured_schema_and_role_names_are_used(empty_db_settings: Settings):
    settings = empty_db_settings.model_copy(
        update={
            "db_schema": "Energie Stats",
            "db_owner_role": "volt test owner",
            "db_writer_role": "volt test writer",
            "db_reader_role": 'volt "reader"',
        }
    )
    try:
        report = migrate.upgrade(settings)
        assert [change.name for change in report.roles] == [
            "volt test owner",
            "volt test writer",
            'volt "reader"',
        ]
        assert admin_rows(settings, GRANTS_SQL, 'volt "reader"', "Energie Stats") == [
            ("area_cuts", "SELECT"),
            ("areas", "SELECT"),
            ("buildings", "SELECT"),
            ("communes", "SELECT"),
            ("data_loads", "SELECT"),
            ("dpe_vs_metered", "SELECT"),
        ]
        assert admin_rows(settings, OWNERS_SQL, "Energie Stats")[0] == (
            "alembic_version",
            "volt test owner",
        )
    finally:
        _drop_roles(settings, ["volt test owner", "volt test writer", 'volt "reader"'])


def _drop_roles(settings: Settings, names: list[str]) -> None:
    # These roles exist for this test only: drop what they own here, then the roles.
    assert settings.database_url is not None
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as conn:
        for name in names:
            role = sql.Identifier(name)
            conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(role))
            conn.execute(sql.SQL("DROP ROLE {}").format(role))


def test_a_createrole_admin_that_is_no_superuser_can_upgrade(
    pg_server_dsn: str, database_factory: Callable[[str], str], tmp_path: Path
):
    # Managed PostgreSQL (RDS, Cloud SQL…) gives no superuser: CREATEROLE + a database it owns.
    suffix = secrets.token_hex(3)
    admin, roles = f"volt_t_admin_{suffix}", [f"volt_t_{r}_{suffix}" for r in ("o", "w", "r")]
    dsn = database_factory("createrole")
    dbname = str(conninfo_to_dict(dsn)["dbname"])
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(admin)))
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(dbname), sql.Identifier(admin)
            )
        )
    settings = load_settings(
        database_url=make_conninfo(dsn, user=admin),
        data_dir=tmp_path,
        env="test",
        db_owner_role=roles[0],
        db_writer_role=roles[1],
        db_reader_role=roles[2],
    )
    try:
        assert [c.created for c in migrate.upgrade(settings).roles] == [True, True, True]
        assert [c.created for c in migrate.upgrade(settings).roles] == [False, False, False]
        with connect(settings, DbRole.READER) as conn:
            row = conn.execute("SELECT current_user, unaccent('Hôtel'), count(*) FROM areas")
            assert row.fetchone() == (roles[2], "Hotel", 0)
    finally:
        # Dropping the database first takes every object and grant of these roles with it.
        with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(dbname)))
            for role in [*roles, admin]:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_upgrade_refuses_to_touch_a_superuser_role(pg_settings: Settings):
    # A misconfigured role name must not reset the admin's own password.
    assert pg_settings.database_url is not None
    admin = str(conninfo_to_dict(pg_settings.database_url.get_secret_value())["user"])
    settings = pg_settings.model_copy(update={"db_reader_role": admin})
    with pytest.raises(ConfigError) as caught:
        migrate.upgrade(settings)
    assert caught.value.message == (
        f"Role {admin!r} is a superuser or the admin account itself; "
        "volt will not change its password."
    )


def test_upgrade_refuses_shared_role_names(pg_settings: Settings):
    settings = pg_settings.model_copy(update={"db_reader_role": "volt_writer"})
    with pytest.raises(ConfigError) as caught:
        migrate.upgrade(settings)
    assert caught.value.message == (
        "The owner, writer and reader roles must differ (got volt_owner, volt_writer, volt_writer)."
    )
