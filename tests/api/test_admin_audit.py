"""`GET /v1/admin/audit`: what the login flow records (hashed e-mail, IP, user), in order, and
keyset pagination with exact pages."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from tests.api.conftest import (
    CLIENT_IP,
    SettingsFactory,
    add_user,
    bearer,
    exchange,
    login,
    new_email,
    open_client,
    user_id_of,
)
from volt.api.keys import email_hash
from volt.config import Settings
from volt.db.connect import connect
from volt.db.dsn import DbRole

AUDIT = "/v1/admin/audit"


def admin_login(client: TestClient, settings: Settings) -> tuple[str, str]:
    """(e-mail, token) of a new admin."""
    email = new_email("admin")
    add_user(settings, email, admin=True)
    return email, login(client, email)


def admin_token(client: TestClient, settings: Settings) -> str:
    return admin_login(client, settings)[1]


def without_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in event.items() if k not in ("id", "at")} for event in events]


def test_the_log_shows_the_login_flow_newest_first_with_hashed_emails(
    client: TestClient, settings: Settings
) -> None:
    admin_email, admin = admin_login(client, settings)
    reader_email = new_email("reader")
    reader = login(client, reader_email)
    response = client.get(AUDIT, params={"limit": 5}, headers=bearer(admin))
    assert response.status_code == 200
    body = response.json()
    reader_id, admin_id = user_id_of(reader), user_id_of(admin)
    reader_hash = email_hash(settings, reader_email)
    assert without_time(body["items"]) == [
        {
            "action": "admin.list_audit_events",
            "actor_user_id": admin_id,
            "actor_email_hash": None,
            "ip": CLIENT_IP,
            "details": {"method": "GET", "path": AUDIT},
        },
        {
            "action": "auth.login.succeeded",
            "actor_user_id": reader_id,
            "actor_email_hash": reader_hash,
            "ip": CLIENT_IP,
            "details": {"role": "reader"},
        },
        {
            "action": "users.created",
            "actor_user_id": reader_id,
            "actor_email_hash": reader_hash,
            "ip": CLIENT_IP,
            "details": {"via": "self_registration", "role": "reader"},
        },
        {
            "action": "auth.code.requested",
            "actor_user_id": None,
            "actor_email_hash": reader_hash,
            "ip": CLIENT_IP,
            "details": {"sent": True},
        },
        {
            "action": "auth.login.succeeded",
            "actor_user_id": admin_id,
            "actor_email_hash": email_hash(settings, admin_email),
            "ip": CLIENT_IP,
            "details": {"role": "admin"},
        },
    ]
    ids = [event["id"] for event in body["items"]]
    assert ids == sorted(ids, reverse=True)
    assert body["next"] == ids[-1]
    assert reader_email.lower() not in response.text and reader_email not in response.text
    assert len(reader_hash) == 64


def test_failed_logins_and_logouts_are_in_the_log(client: TestClient, settings: Settings) -> None:
    admin = admin_token(client, settings)
    stranger = new_email("stranger")
    assert exchange(client, stranger, "999999").status_code == 401
    reader = login(client, new_email())
    assert client.post("/v1/auth/logout", headers=bearer(reader)).status_code == 204
    failed = client.get(
        AUDIT, params={"action": "auth.login.failed", "limit": 1}, headers=bearer(admin)
    )
    assert without_time(failed.json()["items"]) == [
        {
            "action": "auth.login.failed",
            "actor_user_id": None,
            "actor_email_hash": email_hash(settings, stranger),
            "ip": CLIENT_IP,
            "details": {"reason": "bad_code"},
        }
    ]
    logout = client.get(AUDIT, params={"action": "auth.logout", "limit": 1}, headers=bearer(admin))
    assert [(e["action"], e["actor_user_id"]) for e in logout.json()["items"]] == [
        ("auth.logout", user_id_of(reader))
    ]


def test_the_ip_is_the_client_behind_a_trusted_proxy(make_settings: SettingsFactory) -> None:
    settings = make_settings(trusted_proxies=[CLIENT_IP])
    email = new_email()
    with open_client(settings) as client:
        response = client.post(
            "/v1/auth/code", json={"email": email}, headers={"X-Forwarded-For": "198.51.100.77"}
        )
        assert response.status_code == 202
    with connect(settings, DbRole.WRITER) as conn:
        sql = "SELECT host(ip) FROM audit_log WHERE actor_email_hash = %s"
        assert conn.execute(sql, (email_hash(settings, email),)).fetchall() == [("198.51.100.77",)]


def _insert_events(settings: Settings, prefix: str, count: int) -> list[int]:
    sql = "INSERT INTO audit_log (action, details) VALUES (%s, %s) RETURNING id"
    ids = []
    with connect(settings, DbRole.WRITER) as conn:
        for n in range(count):
            row = conn.execute(sql, (f"{prefix}.event", Jsonb({"n": n}))).fetchone()
            assert row is not None
            ids.append(int(row[0]))
    return ids


def test_pages_are_exact_and_follow_the_cursor(client: TestClient, settings: Settings) -> None:
    admin = admin_token(client, settings)
    prefix = f"test.p{secrets.token_hex(4)}"
    ids = _insert_events(settings, prefix, 5)
    pages: list[tuple[list[int], int | None]] = []
    params: dict[str, Any] = {"action": prefix, "limit": 2}
    while True:
        body = client.get(AUDIT, params=params, headers=bearer(admin)).json()
        pages.append(([e["id"] for e in body["items"]], body["next"]))
        if body["next"] is None:
            break
        params["before"] = body["next"]
    newest_first = ids[::-1]
    assert pages == [
        (newest_first[0:2], newest_first[1]),
        (newest_first[2:4], newest_first[3]),
        (newest_first[4:5], None),
    ]
    # A limit equal to what is left ends the pages without an empty one.
    exact = client.get(AUDIT, params={"action": prefix, "limit": 5}, headers=bearer(admin))
    assert ([e["id"] for e in exact.json()["items"]], exact.json()["next"]) == (newest_first, None)
    first = exact.json()["items"][0]
    assert (first["action"], first["details"], first["ip"]) == (f"{prefix}.event", {"n": 4}, None)


def test_the_action_filter_is_exact_or_a_dotted_prefix(
    client: TestClient, settings: Settings
) -> None:
    admin = admin_token(client, settings)
    prefix = f"test.f{secrets.token_hex(4)}"
    [event_id] = _insert_events(settings, prefix, 1)

    def ids(action: str) -> list[int]:
        response = client.get(AUDIT, params={"action": action}, headers=bearer(admin))
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert ids(f"{prefix}.event") == [event_id]
    assert ids(prefix) == [event_id]
    assert ids(prefix[:-1]) == []  # not a dotted prefix
    assert ids(f"{prefix}.even") == []


def test_bad_query_parameters_are_422(client: TestClient, settings: Settings) -> None:
    admin = admin_token(client, settings)
    for params in (
        {"limit": 0},
        {"limit": 201},
        {"before": 0},
        {"before": 2**63},
        {"action": "auth%"},
        {"action": ""},
    ):
        response = client.get(AUDIT, params=params, headers=bearer(admin))
        assert response.status_code == 422, params
    assert client.get(AUDIT, params={"limit": 200}, headers=bearer(admin)).status_code == 200
