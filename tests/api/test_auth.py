"""The login flow end to end: code by e-mail, token (JSON and OAuth2 form), roles, logout, me."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from fastapi.testclient import TestClient

from tests.api.conftest import (
    CLIENT_IP,
    SettingsFactory,
    add_user,
    app_of,
    audit_rows,
    bearer,
    claims,
    exchange,
    login,
    mailed_code,
    new_email,
    open_client,
    request_code,
    user_id_of,
)
from tests.smtp_peer import SmtpPeer
from volt.api.keys import email_hash
from volt.auth.schemas import CODE_SENT_DETAIL
from volt.auth.service import BAD_CODE_HINT, BAD_CODE_MESSAGE
from volt.config import Settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.mail.console import ConsoleMailer

CODE_SENT = {"detail": CODE_SENT_DETAIL}


def sent_to(client: TestClient, email: str) -> list[str]:
    mailer = app_of(client).state.volt.mailer
    assert isinstance(mailer, ConsoleMailer)
    return [mail.body for mail in mailer.sent if mail.to == email.lower()]


def test_code_request_answers_202_with_a_fixed_body_and_mails_the_code(
    client: TestClient,
) -> None:
    email = new_email()
    response = client.post("/v1/auth/code", json={"email": email})
    assert (response.status_code, response.json()) == (202, CODE_SENT)
    code = mailed_code(client, email)
    assert code not in response.text
    assert all(code not in value for value in response.headers.values())


def test_the_mail_says_the_code_its_lifetime_and_to_ignore_it_if_unasked(
    make_settings: SettingsFactory, smtp_peer: SmtpPeer
) -> None:
    email = new_email()
    with open_client(make_settings(**smtp_peer.settings())) as client:
        request_code(client, email)
        message: EmailMessage = smtp_peer.wait_for(email)
        code = mailed_code(client, email, smtp_peer)
        assert exchange(client, email, code).status_code == 200
    assert message["To"] == email.lower()
    assert message["Subject"] == "Your volt login code"
    assert message.get_content() == (
        f"Your volt login code is: {code}\n"
        "\n"
        "It is valid for 5 minutes and works once.\n"
        "\n"
        "If you did not ask for it, ignore this mail: nobody can log in without the code.\n"
    )


def test_json_login_gives_a_reader_token_for_30_minutes(client: TestClient) -> None:
    email = new_email()
    request_code(client, email)
    response = exchange(client, email, mailed_code(client, email))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    token = body["access_token"]
    assert body == {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": 1800,
        "role": "reader",
    }
    payload = claims(token)
    assert sorted(payload) == ["aud", "exp", "iat", "iss", "jti", "role", "sub"]
    assert (payload["iss"], payload["aud"], payload["role"]) == ("volt", "volt-api", "reader")
    assert payload["exp"] - payload["iat"] == 30 * 60
    assert abs(payload["iat"] - datetime.now(UTC).timestamp()) < 10
    assert payload["sub"].isdecimal()


def test_oauth2_password_form_login_as_swagger_sends_it(client: TestClient) -> None:
    for grant in ({"grant_type": "password"}, {}):
        email = new_email()
        request_code(client, email)
        form = {"username": email, "password": mailed_code(client, email), **grant}
        response = client.post("/v1/auth/token", data=form)
        assert response.status_code == 200, response.text
        assert response.json()["role"] == "reader"
        assert (
            client.get("/v1/auth/me", headers=bearer(response.json()["access_token"])).json()[
                "email"
            ]
            == email.lower()
        )


def test_me_says_who_the_token_belongs_to(client: TestClient) -> None:
    email = new_email()
    token = login(client, email)
    expires = datetime.fromtimestamp(claims(token)["exp"], UTC)
    response = client.get("/v1/auth/me", headers=bearer(token))
    assert (response.status_code, response.json()) == (
        200,
        {
            "email": email.lower(),
            "role": "reader",
            "token_expires_at": expires.isoformat().replace("+00:00", "Z"),
        },
    )


def test_admin_emails_make_an_admin_case_insensitively_for_60_minutes(
    make_settings: SettingsFactory,
) -> None:
    email = new_email("boss")
    settings = make_settings(admin_emails=[email.upper(), "someone-else@example.org"])
    with open_client(settings) as client:
        response = exchange(client, email, _code(client, email))
        assert response.json()["role"] == "admin"
        assert response.json()["expires_in"] == 3600
        token = response.json()["access_token"]
        assert claims(token)["exp"] - claims(token)["iat"] == 60 * 60
        assert client.get("/v1/admin/audit", headers=bearer(token)).status_code == 200
    created = audit_rows(settings, "actor_user_id", user_id_of(token))[0]
    assert (created["action"], created["details"]) == (
        "users.created",
        {"via": "self_registration", "role": "admin"},
    )


def test_admin_emails_promote_an_existing_reader_and_audit_the_role_change(
    make_settings: SettingsFactory,
) -> None:
    email = new_email("promoted")
    user_id = add_user(make_settings(), email)
    settings = make_settings(admin_emails=[email])
    with open_client(settings) as client:
        token = login(client, email)
    assert claims(token)["role"] == "admin"
    changes = [r for r in audit_rows(settings, "actor_user_id", user_id) if r["ip"]]
    assert [r["action"] for r in changes] == [
        "auth.code.requested",
        "users.role_changed",
        "auth.login.succeeded",
    ]
    assert changes[1] == {
        "action": "users.role_changed",
        "actor_user_id": user_id,
        "actor_email_hash": email_hash(settings, email),
        "ip": CLIENT_IP,
        "details": {"from": "reader", "to": "admin", "via": "admin_emails"},
    }


def test_the_admin_role_in_the_table_makes_an_admin(client: TestClient, settings: Settings) -> None:
    email = new_email("dbadmin")
    add_user(settings, email, admin=True)
    response = exchange(client, email, _code(client, email))
    assert (response.json()["role"], response.json()["expires_in"]) == ("admin", 3600)


def test_token_lifetimes_are_settings(make_settings: SettingsFactory) -> None:
    reader, admin = new_email("r"), new_email("a")
    settings = make_settings(reader_token_minutes=7, admin_token_minutes=11, admin_emails=[admin])
    with open_client(settings) as client:
        lifetimes = [
            exchange(client, email, _code(client, email)).json()["expires_in"]
            for email in (reader, admin)
        ]
    assert lifetimes == [7 * 60, 11 * 60]


def test_self_registration_off_mails_only_registered_active_users(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(self_registration=False)
    known, unknown, disabled = new_email("known"), new_email("unknown"), new_email("disabled")
    add_user(settings, known)
    add_user(settings, disabled, active=False)
    with open_client(settings) as client:
        for email in (known, unknown, disabled):
            request_code(client, email)
        assert [len(sent_to(client, e)) for e in (known, unknown, disabled)] == [1, 0, 0]
        assert exchange(client, known, mailed_code(client, known)).status_code == 200
    with connect(settings, DbRole.WRITER) as conn:
        count = conn.execute("SELECT count(*) FROM users WHERE email = %s", (unknown.lower(),))
        assert count.fetchone() == (0,)


def test_self_registration_creates_the_account_at_first_login_only(
    client: TestClient, settings: Settings
) -> None:
    email = new_email()
    request_code(client, email)
    with connect(settings, DbRole.WRITER) as conn:
        sql = "SELECT count(*) FROM users WHERE email = %s"
        assert conn.execute(sql, (email.lower(),)).fetchone() == (0,)
    exchange(client, email, mailed_code(client, email))
    with connect(settings, DbRole.WRITER) as conn:
        sql = "SELECT role, is_active, last_login_at IS NOT NULL FROM users WHERE email = %s"
        assert conn.execute(sql, (email.lower(),)).fetchone() == ("reader", True, True)


def test_a_disabled_user_gets_no_code_and_its_token_stops_working(
    client: TestClient, settings: Settings
) -> None:
    email = new_email()
    token = login(client, email)
    with connect(settings, DbRole.WRITER) as conn:
        conn.execute("UPDATE users SET is_active = false WHERE id = %s", (user_id_of(token),))
    response = client.get("/v1/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] == "The account of this token is disabled or no longer exists."
    sent_before = len(sent_to(client, email))
    request_code(client, email)
    assert len(sent_to(client, email)) == sent_before


def test_logout_revokes_the_token(client: TestClient, settings: Settings) -> None:
    email = new_email()
    token = login(client, email)
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
    response = client.post("/v1/auth/logout", headers=bearer(token))
    assert (response.status_code, response.content) == (204, b"")
    after = client.get("/v1/auth/me", headers=bearer(token))
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"] == 'Bearer realm="volt"'
    assert after.json()["detail"] == "The token has been revoked."
    assert client.post("/v1/auth/logout", headers=bearer(token)).status_code == 401
    assert [r["action"] for r in audit_rows(settings, "actor_user_id", user_id_of(token))][
        -1
    ] == "auth.logout"
    # Another login of the same user is unaffected.
    assert client.get("/v1/auth/me", headers=bearer(login(client, email))).status_code == 200


def test_a_wrong_code_is_a_401_problem(client: TestClient) -> None:
    email = new_email()
    code = _code(client, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = exchange(client, email, wrong)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://volt.example/problems/not-authenticated",
        "title": "Not authenticated",
        "status": 401,
        "detail": BAD_CODE_MESSAGE,
        "hint": BAD_CODE_HINT,
    }


def test_invalid_token_bodies_are_422_problems_that_do_not_echo_the_code(
    client: TestClient,
) -> None:
    email = new_email()
    cases = [
        ({"json": {"email": email}}, [["body", "code"]]),
        ({"json": {"email": email, "code": "12345"}}, [["body", "code"]]),
        ({"json": {"email": "not-an-email", "code": "123456"}}, [["body", "email"]]),
        ({"data": {"username": email, "password": "12ab56"}}, [["body", "password"]]),
        (
            {"data": {"username": email, "password": "123456", "grant_type": "code"}},
            [["body", "grant_type"]],
        ),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, None),
        ({"content": b"123456", "headers": {"content-type": "text/plain"}}, None),
    ]
    for kwargs, locs in cases:
        response = client.post("/v1/auth/token", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 422, (kwargs, response.text)
        body = response.json()
        assert body["title"] == "Invalid request"
        if locs is not None:
            assert [e["loc"] for e in body["errors"]] == locs
        assert "12ab56" not in response.text
    unsupported = client.post(
        "/v1/auth/token", content=b"x", headers={"content-type": "text/plain"}
    )
    assert unsupported.json()["errors"] == [
        {
            "loc": ["header", "content-type"],
            "msg": "Send application/json {email, code} or an OAuth2 password form "
            "(application/x-www-form-urlencoded).",
            "type": "unsupported_media_type",
        }
    ]


def test_openapi_documents_both_token_bodies_and_the_password_flow(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/auth/token"]["post"]["requestBody"]
    assert sorted(body["content"]) == ["application/json", "application/x-www-form-urlencoded"]
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["username", "password"]
    assert body["content"]["application/json"]["schema"]["required"] == ["email", "code"]
    scheme = spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"] == {"password": {"scopes": {}, "tokenUrl": "/v1/auth/token"}}
    assert spec["paths"]["/v1/auth/me"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert "security" not in spec["paths"]["/v1/auth/code"]["post"]


def _code(client: TestClient, email: str) -> str:
    request_code(client, email)
    return mailed_code(client, email)
