"""DSNs per role, redaction, version floor, and the prod guard on database passwords."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from volt.config import load_settings
from volt.db.dsn import DbRole, redact, require_supported_server, role_dsn
from volt.errors import ConfigError

SERVICES_URL = "postgresql://admin:Adm1n-S3cret@db.example.org:6432/volt?sslmode=require"


def services_settings(**overrides: object):
    return load_settings(database_url=SERVICES_URL, env="test", **overrides)


def test_role_dsn_swaps_user_and_password_and_keeps_the_rest():
    settings = services_settings(db_reader_role="api_ro", db_reader_password="r3ader pass'")
    assert conninfo_to_dict(role_dsn(settings, DbRole.READER)) == {
        "user": "api_ro",
        "password": "r3ader pass'",
        "host": "db.example.org",
        "port": "6432",
        "dbname": "volt",
        "sslmode": "require",
    }


def test_admin_dsn_is_the_database_url():
    assert role_dsn(services_settings(), DbRole.ADMIN) == SERVICES_URL


def test_redact_drops_the_password_of_a_url():
    assert redact(SERVICES_URL) == "postgresql://admin@db.example.org:6432/volt?sslmode=require"


def test_redact_drops_the_password_of_a_keyword_dsn_and_keeps_a_socket_dir_in_the_query():
    dsn = "user=volt_writer password='s3cret' host=/tmp/volt/pg port=5432 dbname=volt"
    assert redact(dsn) == "postgresql://volt_writer@/volt?host=/tmp/volt/pg&port=5432"


def test_redact_drops_a_password_passed_as_query_parameter():
    url = "postgresql://u@h/d?password=s3cret&application_name=volt"
    assert redact(url) == "postgresql://u@h/d?application_name=volt"


def test_redact_brackets_ipv6_hosts():
    assert redact("postgresql://u:p@[::1]:5433/d") == "postgresql://u@[::1]:5433/d"


def test_malformed_url_error_does_not_echo_it():
    settings = load_settings(database_url="host=x password=s3cret oops", env="test")
    with pytest.raises(ConfigError) as caught:
        role_dsn(settings, DbRole.WRITER)
    assert "s3cret" not in str(caught.value)
    assert caught.value.message == "The database URL is not a valid PostgreSQL connection string."


def test_postgresql_14_is_refused():
    with pytest.raises(ConfigError) as caught:
        require_supported_server(140012)
    assert caught.value.message == (
        "PostgreSQL 14 is not supported: volt needs PostgreSQL 15 or newer."
    )


def test_postgresql_15_is_accepted():
    assert require_supported_server(150000) is None


def test_prod_refuses_default_database_passwords():
    with pytest.raises(ConfigError) as caught:
        load_settings(env="prod", database_url=SERVICES_URL, secret_key="k" * 40, mailer="smtp")
    assert caught.value.message == (
        "Refusing to start with VOLT_ENV=prod: "
        "VOLT_DB_OWNER_PASSWORD is the development default; "
        "VOLT_DB_WRITER_PASSWORD is the development default; "
        "VOLT_DB_READER_PASSWORD is the development default."
    )


def test_prod_accepts_real_database_passwords():
    settings = load_settings(
        env="prod",
        database_url=SERVICES_URL,
        secret_key="k" * 40,
        mailer="smtp",
        db_owner_password="o" * 24,
        db_writer_password="w" * 24,
        db_reader_password="r" * 24,
    )
    assert conninfo_to_dict(role_dsn(settings, DbRole.OWNER))["password"] == "o" * 24
