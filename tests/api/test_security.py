"""Attacks on the login and on tokens, each of which must fail; and the public route table.

Run on both cache backends (memory and a real Redis): codes, attempts and revocations live there.
The enumeration, failed-send and rate-limit attacks are in test_security_enumeration_and_limits.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from tests.api.conftest import (
    CLIENT_IP,
    SettingsFactory,
    add_user,
    app_of,
    assert_refused,
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
    wrong_code,
)
from tests.smtp_peer import SmtpPeer
from volt.api.keys import KeyPurpose, derived_key, email_hash
from volt.api.security import PRINCIPAL_DEPENDENCIES
from volt.api.tokens import issue_token
from volt.auth import users
from volt.auth.service import BAD_CODE_MESSAGE
from volt.cache.base import cache_key
from volt.config import Settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role

BOTH_CACHE_BACKENDS = True  # see tests/api/conftest.py: pytest_generate_tests

PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/auth/code"),
    ("POST", "/v1/auth/token"),
}
INVALID = "The token is invalid."


# --- codes -----------------------------------------------------------------------------------


def _cached(client: TestClient, key: str) -> bytes | None:
    """Read the app's cache on the app's own event loop."""
    assert client.portal is not None
    value: bytes | None = client.portal.call(app_of(client).state.volt.cache.get, key)
    return value


def test_no_login_without_the_mailed_code(client: TestClient) -> None:
    never_asked = new_email()
    assert_refused(exchange(client, never_asked, "000000"), detail=BAD_CODE_MESSAGE)
    email = new_email()
    request_code(client, email)
    code = mailed_code(client, email)
    assert_refused(exchange(client, email, wrong_code(code)), detail=BAD_CODE_MESSAGE)
    # The code of one address does not open another.
    assert_refused(exchange(client, new_email(), code), detail=BAD_CODE_MESSAGE)


def test_codes_are_stored_only_as_keyed_hashes(client: TestClient, settings: Settings) -> None:
    email = new_email()
    request_code(client, email)
    code = mailed_code(client, email)
    stored = _cached(
        client, cache_key(settings.cache_prefix, "login_code", email_hash(settings, email))
    )
    assert stored is not None and len(stored) == 32
    assert code.encode() not in stored


def test_a_code_works_once(client: TestClient) -> None:
    email = new_email()
    request_code(client, email)
    code = mailed_code(client, email)
    assert exchange(client, email, code).status_code == 200
    assert_refused(exchange(client, email, code), detail=BAD_CODE_MESSAGE)


def test_an_expired_code_is_refused(client: TestClient, settings: Settings) -> None:
    email = new_email()
    request_code(client, email)
    code = mailed_code(client, email)
    # Expire it through the cache itself (same value, a TTL of 50 ms) rather than wait 5 minutes.
    key = cache_key(settings.cache_prefix, "login_code", email_hash(settings, email))
    stored = _cached(client, key)
    assert stored is not None and client.portal is not None
    client.portal.call(app_of(client).state.volt.cache.set, key, stored, 0.05)
    time.sleep(0.1)
    assert_refused(exchange(client, email, code), detail=BAD_CODE_MESSAGE)


def test_guessing_the_sixth_attempt_fails_even_with_the_right_code(client: TestClient) -> None:
    email = new_email()
    request_code(client, email)
    code = mailed_code(client, email)
    for offset in range(1, 6):
        assert_refused(exchange(client, email, wrong_code(code, offset)), detail=BAD_CODE_MESSAGE)
    assert_refused(exchange(client, email, code), detail=BAD_CODE_MESSAGE)
    # And the code is void for good, not just for one more call.
    assert_refused(exchange(client, email, code), detail=BAD_CODE_MESSAGE)


def test_the_fifth_attempt_may_still_be_right(client: TestClient) -> None:
    """The control of the test above: four wrong guesses leave the code usable."""
    email = new_email()
    request_code(client, email)
    code = mailed_code(client, email)
    for offset in range(1, 5):
        assert_refused(exchange(client, email, wrong_code(code, offset)))
    assert exchange(client, email, code).status_code == 200


def test_a_new_code_replaces_the_old_one_and_resets_the_attempts(client: TestClient) -> None:
    email = new_email()
    request_code(client, email)
    first = mailed_code(client, email)
    for offset in range(1, 5):
        assert_refused(exchange(client, email, wrong_code(first, offset)))
    request_code(client, email)
    second = mailed_code(client, email)
    if second != first:  # one chance in a million that they are equal
        assert_refused(exchange(client, email, first))
    for offset in range(1, 4):
        assert_refused(exchange(client, email, wrong_code(second, offset + 100)))
    assert exchange(client, email, second).status_code == 200


def test_failed_logins_are_audited_although_the_request_fails(
    client: TestClient, settings: Settings
) -> None:
    email = new_email()
    assert_refused(exchange(client, email, "123456"))
    assert audit_rows(settings, "actor_email_hash", email_hash(settings, email)) == [
        {
            "action": "auth.login.failed",
            "actor_user_id": None,
            "actor_email_hash": email_hash(settings, email),
            "ip": CLIENT_IP,
            "details": {"reason": "bad_code"},
        }
    ]


# --- tokens ----------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forgeries(token: str, settings: Settings) -> dict[str, str]:
    header_b64, payload_b64, signature = token.split(".")
    payload = claims(token)
    key = derived_key(settings, KeyPurpose.TOKEN)
    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}.",
        "alg None, signature kept": f"{_b64({'alg': 'None'})}.{payload_b64}.{signature}",
        "wrong key": jwt.encode(payload, "another-key-of-32-bytes-at-least!", algorithm="HS256"),
        "raw secret as key": jwt.encode(
            payload, settings.secret_key.get_secret_value(), algorithm="HS256"
        ),
        "other algorithm, right key": jwt.encode(payload, key, algorithm="HS512"),
        "edited role": f"{header_b64}.{_b64(payload | {'role': 'admin'})}.{signature}",
        # Another user's id (never the token's own: that would be the same payload).
        "edited sub": f"{header_b64}.{_b64(payload | {'sub': str(int(payload['sub']) + 1)})}."
        f"{signature}",
        "wrong audience": jwt.encode(payload | {"aud": "other-api"}, key, algorithm="HS256"),
        "wrong issuer": jwt.encode(payload | {"iss": "evil"}, key, algorithm="HS256"),
        "unknown role": jwt.encode(payload | {"role": "root"}, key, algorithm="HS256"),
        "sub not an id": jwt.encode(payload | {"sub": "alice"}, key, algorithm="HS256"),
        "not a jwt": "not-a-token",
        "empty signature": f"{header_b64}.{payload_b64}.",
    }
    for claim in ("sub", "role", "iat", "exp", "jti", "iss", "aud"):
        partial = {k: v for k, v in payload.items() if k != claim}
        forged[f"missing {claim}"] = jwt.encode(partial, key, algorithm="HS256")
    return forged


def test_forged_or_altered_tokens_are_refused(client: TestClient, settings: Settings) -> None:
    token = login(client, new_email())
    # Control: the same claims signed with the real key pass, so the refusals below are earned.
    resigned = jwt.encode(claims(token), derived_key(settings, KeyPurpose.TOKEN), "HS256")
    assert client.get("/v1/auth/me", headers=bearer(resigned)).status_code == 200
    for name, forged in _forgeries(token, settings).items():
        response = client.get("/v1/auth/me", headers=bearer(forged))
        assert response.status_code == 401, name
        assert_refused(response, detail=INVALID)


def test_missing_or_malformed_authorization_is_refused(client: TestClient) -> None:
    token = login(client, new_email())
    for headers in ({}, {"Authorization": token}, {"Authorization": f"Basic {token}"}):
        assert_refused(
            client.get("/v1/auth/me", headers=headers), detail="This route needs a bearer token."
        )


def test_an_expired_token_is_refused(client: TestClient, settings: Settings) -> None:
    user_id = user_id_of(login(client, new_email()))
    issued = issue_token(
        settings, user_id, Role.READER, now=datetime.now(UTC) - timedelta(minutes=31)
    )
    assert_refused(
        client.get("/v1/auth/me", headers=bearer(issued.access_token)),
        detail="The token has expired.",
    )
    # Control: the same mint, not yet expired, passes.
    fresh = issue_token(
        settings, user_id, Role.READER, now=datetime.now(UTC) - timedelta(minutes=29)
    )
    assert client.get("/v1/auth/me", headers=bearer(fresh.access_token)).status_code == 200


def test_a_revoked_token_is_refused_and_the_mark_lives_until_expiry(
    client: TestClient, settings: Settings
) -> None:
    token = login(client, new_email())
    assert client.post("/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert_refused(
        client.get("/v1/auth/me", headers=bearer(token)), detail="The token has been revoked."
    )
    if settings.redis_url is not None:
        import redis

        key = cache_key(settings.cache_prefix, "revoked", claims(token)["jti"])
        ttl = redis.Redis.from_url(settings.redis_url.get_secret_value()).ttl(key)
        remaining = claims(token)["exp"] - time.time()
        assert remaining - 5 <= ttl <= remaining + 1


def test_a_reader_token_on_an_admin_route_is_403_and_audited(
    client: TestClient, settings: Settings
) -> None:
    token = login(client, new_email())
    response = client.get("/v1/admin/audit", headers=bearer(token))
    assert_refused(response, status=403, detail="This route needs the admin role.")
    assert audit_rows(settings, "actor_user_id", user_id_of(token))[-1] == {
        "action": "admin.denied",
        "actor_user_id": user_id_of(token),
        "actor_email_hash": None,
        "ip": CLIENT_IP,
        "details": {"method": "GET", "path": "/v1/admin/audit", "reason": "reader_token"},
    }


def test_an_admin_token_of_a_reader_account_does_not_open_admin_routes(
    client: TestClient, settings: Settings
) -> None:
    """Even a validly signed admin token fails while the account is not an admin."""
    user_id = user_id_of(login(client, new_email()))
    minted = issue_token(settings, user_id, Role.ADMIN).access_token
    response = client.get("/v1/admin/audit", headers=bearer(minted))
    assert_refused(response, status=403)
    assert audit_rows(settings, "actor_user_id", user_id)[-1]["details"]["reason"] == (
        "role_revoked"
    )
    # On reader routes the token counts as the reader the account is.
    assert client.get("/v1/auth/me", headers=bearer(minted)).json()["role"] == "reader"


def test_a_disabled_admin_is_refused_at_once(client: TestClient, settings: Settings) -> None:
    email = new_email("admin")
    add_user(settings, email, admin=True)
    token = login(client, email)
    assert client.get("/v1/admin/audit", headers=bearer(token)).status_code == 200
    with connect(settings, DbRole.WRITER) as conn:
        users.set_active(conn, settings, email, active=False)
    assert_refused(client.get("/v1/admin/audit", headers=bearer(token)), status=401)


def test_revoking_the_admin_role_closes_admin_routes_at_once(
    client: TestClient, settings: Settings
) -> None:
    email = new_email("admin")
    add_user(settings, email, admin=True)
    token = login(client, email)
    assert client.get("/v1/admin/audit", headers=bearer(token)).status_code == 200
    with connect(settings, DbRole.WRITER) as conn:
        users.set_role(conn, settings, email, Role.READER)
    assert_refused(client.get("/v1/admin/audit", headers=bearer(token)), status=403)


def test_codes_and_tokens_never_reach_the_log(
    make_settings: SettingsFactory, smtp_peer: SmtpPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email = new_email()
    with open_client(make_settings(**smtp_peer.settings())) as client:
        request_code(client, email)
        code = mailed_code(client, email, smtp_peer)
        assert_refused(exchange(client, email, wrong_code(code)))
        token = exchange(client, email, code).json()["access_token"]
        assert client.get("/v1/admin/audit", headers=bearer(token)).status_code == 403
        assert client.post("/v1/auth/logout", headers=bearer(token)).status_code == 204
        assert_refused(client.get("/v1/auth/me", headers=bearer(token)))
    # The SMTP peer's own (aiosmtpd) debug log shows what it received: it is not volt's.
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert any("app.started" in line for line in lines)  # the capture works
    for secret in (code, token, token.split(".")[2], claims(token)["jti"]):
        assert not [line for line in lines if secret in line]


# --- the route table -------------------------------------------------------------------------


def _requires_principal(dependant: Any) -> bool:
    return any(
        dep.call in PRINCIPAL_DEPENDENCIES or _requires_principal(dep)
        for dep in dependant.dependencies
    )


def _route_table(client: TestClient) -> list[tuple[RouteContext, bool]]:
    """Every route as served (routers included under /v1 are flattened, with the dependencies
    their routers add), and whether a principal is required somewhere in its dependency tree."""
    table = []
    for context in iter_route_contexts(app_of(client).routes):
        dependant = getattr(context, "dependant", None)  # None: docs, mounts, plain routes
        table.append((context, dependant is not None and _requires_principal(dependant)))
    return table


def test_only_health_docs_and_the_two_login_routes_are_public(client: TestClient) -> None:
    table = _route_table(client)
    public = {
        (method, context.path or repr(context.route))
        for context, protected in table
        if not protected
        for method in (context.methods or {"ANY"}) - {"HEAD"}
    }
    assert public == PUBLIC_ROUTES
    protected_routes = {
        (method, context.path)
        for context, protected in table
        if protected
        for method in context.methods or set()
    }
    # The detection finds the guarded routes, so the equality above is not vacuous.
    assert {
        ("GET", "/v1/auth/me"),
        ("POST", "/v1/auth/logout"),
        ("GET", "/v1/admin/audit"),
    } <= protected_routes


def test_every_protected_route_refuses_a_missing_or_forged_token(client: TestClient) -> None:
    """The route table's verdict, checked by calling each route (path parameters set to 1)."""
    forged = jwt.encode({"sub": "1", "role": "admin"}, "guess", algorithm="HS256")
    for context, protected in _route_table(client):
        if not protected:
            continue
        path = context.path_format or ""
        for name in context.param_convertors:
            path = path.replace("{" + name + "}", "1")
        for method in context.methods or set():
            for headers in ({}, bearer(forged)):
                response = client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, path, headers)
