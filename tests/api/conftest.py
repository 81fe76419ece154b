"""API test fixtures: the app on the session's real PostgreSQL, a memory or real Redis cache, the
console mailer or a real SMTP peer, and a `login` helper that reads the code from the e-mail.

Data committed to PostgreSQL persists across tests (the app commits; the database is the API
tests' own), so every test uses addresses of its own (`new_email`); the cache prefix is per test
too, so Redis keys never meet.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import sql
from psycopg.types.json import Jsonb

from tests.smtp_peer import SmtpPeer
from volt.app import create_app
from volt.auth import users
from volt.config import Settings, load_settings
from volt.db import migrate
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.mail.console import ConsoleMailer

CLIENT_IP = "203.0.113.7"  # TEST-NET-3: what the audit log must show for the test client
# Generous zones: only the rate-limit tests reach a limit, with zones of their own.
GENEROUS_LIMITS = {
    "default": "10000/minute",
    "auth_code": "10000/minute",
    "auth_code_email": "10000/minute",
    "auth_token": "10000/minute",
}
CODE_IN_MAIL = re.compile(r"Your volt login code is: ([0-9]{6})\n")

SettingsFactory = Callable[..., Settings]


def new_email(tag: str = "user") -> str:
    """An address no other test uses (Alice-style mixed case checks normalisation for free)."""
    return f"{tag}-{secrets.token_hex(5)}@Example.org"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests run on the memory cache; those of modules saying BOTH_CACHE_BACKENDS = True run on
    a real Redis as well."""
    if "cache_backend" in metafunc.fixturenames:
        both = getattr(metafunc.module, "BOTH_CACHE_BACKENDS", False)
        metafunc.parametrize(
            "cache_backend", ["memory", "redis"] if both else ["memory"], indirect=True
        )


@pytest.fixture
def cache_backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings selecting the cache backend named by the parameter."""
    if request.param == "redis":
        return {"redis_url": request.getfixturevalue("redis_url")}
    return {"redis_url": None}


def migrated_database(
    database_factory: Callable[[str], str], data_dir: Path, purpose: str
) -> Settings:
    """Settings on a new migrated database of its own (dropped at the end of the session)."""
    settings = load_settings(database_url=database_factory(purpose), data_dir=data_dir, env="test")
    migrate.upgrade(settings)
    return settings


@pytest.fixture(scope="session")
def api_pg_settings(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """The API tests commit users and audit events: on a database of their own, since the
    privilege tests (tests/db, on `pg_settings`) expect those tables empty."""
    return migrated_database(database_factory, tmp_path_factory.mktemp("api"), "api")


@pytest.fixture
def make_settings(api_pg_settings: Settings, cache_backend: dict[str, Any]) -> SettingsFactory:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "cache_prefix": f"t{secrets.token_hex(6)}",
            "login_code_min_response_ms": 0,
            "rate_limits": GENEROUS_LIMITS,
            "mailer": "console",
        }
        # Validated (not model_copy): overrides such as mailer="smtp" become the enums they name.
        base = api_pg_settings.model_dump()
        return load_settings(**(base | values | cache_backend | overrides))

    return make


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


def open_client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), client=(CLIENT_IP, 50000))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with open_client(settings) as test_client:
        yield test_client


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    with SmtpPeer() as peer:
        yield peer


def mailed_code(client: TestClient, email: str, peer: SmtpPeer | None = None) -> str:
    """The code of the last mail to `email`: from the SMTP peer, or the console mailer's log."""
    if peer is not None:
        body = peer.wait_for(email).get_content()
    else:
        mailer = app_of(client).state.volt.mailer
        assert isinstance(mailer, ConsoleMailer)
        bodies = [mail.body for mail in mailer.sent if mail.to == email.lower()]
        assert bodies, f"no mail to {email}"
        body = bodies[-1]
    match = CODE_IN_MAIL.search(body)
    assert match is not None, body
    return match.group(1)


def app_of(client: TestClient) -> FastAPI:
    app = client.app
    assert isinstance(app, FastAPI)
    return app


def request_code(client: TestClient, email: str) -> None:
    response = client.post("/v1/auth/code", json={"email": email})
    assert response.status_code == 202, response.text


def exchange(client: TestClient, email: str, code: str) -> Any:
    return client.post("/v1/auth/token", json={"email": email, "code": code})


def login(client: TestClient, email: str, peer: SmtpPeer | None = None) -> str:
    """Request a code, read it from the mail, exchange it: the bearer token."""
    request_code(client, email)
    response = exchange(client, email, mailed_code(client, email, peer))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def wrong_code(code: str, offset: int = 1) -> str:
    """Another 6-digit code than `code`."""
    return f"{(int(code) + offset) % 1_000_000:06d}"


def assert_refused(response: Any, status: int = 401, detail: str | None = None) -> None:
    """A problem+json refusal; 401s carry the Bearer challenge."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="volt"'
    if detail is not None:
        assert response.json()["detail"] == detail


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(token: str) -> dict[str, Any]:
    """The payload, unverified (tests read what the server signed)."""
    payload: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return payload


def add_user(settings: Settings, email: str, *, admin: bool = False, active: bool = True) -> int:
    """Register a user as `volt users add` does (committed); its id."""
    with connect(settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, settings, email, admin=admin)
        if not active:
            users.set_active(conn, settings, email, active=False)
    return user.id


def audit_rows(settings: Settings, where: str, value: Any) -> list[dict[str, Any]]:
    """Audit rows (oldest first) whose `where` column equals `value`, without id and time."""
    sql = f"""
        SELECT action, actor_user_id, actor_email_hash, host(ip), details FROM audit_log
        WHERE {where} = %s ORDER BY id
    """
    with connect(settings, DbRole.WRITER) as conn:
        rows = conn.execute(sql, (value,)).fetchall()
    keys = ("action", "actor_user_id", "actor_email_hash", "ip", "details")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def user_id_of(token: str) -> int:
    return int(claims(token)["sub"])


def insert_row(conn: Any, table: str, row: dict[str, Any]) -> None:
    """INSERT one hand-built row (column names from the dict, values bound)."""
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in row),
        sql.SQL(", ").join(sql.Placeholder() for _ in row),
    )
    conn.execute(query, list(row.values()))


def publish_load(settings: Settings, version: str, manifest: dict[str, Any]) -> None:
    """Make `version` the current data load (created, or made current again)."""
    with connect(settings, DbRole.OWNER) as conn:
        conn.execute("UPDATE data_loads SET is_current = false")
        conn.execute(
            "INSERT INTO data_loads (data_version, run_id, manifest, is_current) "
            "VALUES (%s, 'r', %s, true) "
            "ON CONFLICT (data_version) DO UPDATE SET is_current = true",
            (version, Jsonb(manifest)),
        )
