"""Attacks that must fail, continued: telling known addresses from unknown ones by the answers
or their timing, a failed send leaving a usable code, and going past each rate-limit zone (exact
429 counts at the boundary). On both cache backends: the rate-limit counters live there.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import (
    CLIENT_IP,
    GENEROUS_LIMITS,
    SettingsFactory,
    add_user,
    app_of,
    assert_refused,
    audit_rows,
    exchange,
    mailed_code,
    new_email,
    open_client,
    request_code,
)
from tests.smtp_peer import SmtpPeer
from volt.api.keys import email_hash
from volt.auth import codes
from volt.auth.service import BAD_CODE_MESSAGE
from volt.config import Settings

BOTH_CACHE_BACKENDS = True  # see tests/api/conftest.py: pytest_generate_tests


# --- enumeration -----------------------------------------------------------------------------


def test_answers_do_not_tell_known_unknown_and_disabled_addresses_apart(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(self_registration=False)
    known, disabled = new_email("known"), new_email("disabled")
    add_user(settings, known)
    add_user(settings, disabled, active=False)
    with open_client(settings) as client:
        answers = {
            (r.status_code, r.headers["content-type"], r.content)
            for r in (
                client.post("/v1/auth/code", json={"email": email})
                for email in (known, new_email("unknown"), disabled)
            )
        }
    assert len(answers) == 1
    assert next(iter(answers))[0] == 202


def test_timings_do_not_tell_known_and_unknown_addresses_apart(
    make_settings: SettingsFactory, smtp_peer: SmtpPeer
) -> None:
    floor_ms = 150
    settings = make_settings(
        self_registration=False, login_code_min_response_ms=floor_ms, **smtp_peer.settings()
    )
    known = new_email("known")
    add_user(settings, known)
    durations: dict[str, list[float]] = {"known": [], "unknown": []}
    with open_client(settings) as client:
        for _ in range(3):
            for kind, email in (("known", known), ("unknown", new_email("unknown"))):
                started = time.perf_counter()
                assert client.post("/v1/auth/code", json={"email": email}).status_code == 202
                durations[kind].append((time.perf_counter() - started) * 1000)
    assert len(smtp_peer.received) == 3  # the known address did cost a mail each time
    assert min(durations["known"] + durations["unknown"]) >= floor_ms
    medians = {kind: statistics.median(values) for kind, values in durations.items()}
    assert abs(medians["known"] - medians["unknown"]) < 50, medians


# --- a failed send ---------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed when the socket is: nothing listens there now


def test_a_failed_send_is_a_503_and_leaves_no_usable_code(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(
        mailer="smtp", smtp_host="127.0.0.1", smtp_port=_closed_port(), smtp_security="none"
    )
    monkeypatch.setattr(codes, "new_code", lambda: "246810")  # the code that would have gone
    email = new_email()
    with open_client(settings) as client:
        response = client.post("/v1/auth/code", json={"email": email})
        assert_refused(response, status=503, detail="Could not send the e-mail right now.")
        assert_refused(exchange(client, email, "246810"), detail=BAD_CODE_MESSAGE)
    actions = [
        r["action"] for r in audit_rows(settings, "actor_email_hash", email_hash(settings, email))
    ]
    assert actions == ["auth.code.send_failed", "auth.login.failed"]


# --- rate limits -----------------------------------------------------------------------------


def _statuses(calls: int, call: Callable[[int], Any]) -> list[int]:
    return [call(i).status_code for i in range(calls)]


def _limited(make_settings: SettingsFactory, **zones: str) -> Settings:
    return make_settings(rate_limits=GENEROUS_LIMITS | zones, trusted_proxies=[CLIENT_IP])


def _from(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}  # the test client is a trusted proxy in these tests


def test_auth_code_zone_per_ip(make_settings: SettingsFactory) -> None:
    with open_client(_limited(make_settings, auth_code="2/minute")) as client:

        def post(_: int) -> Any:
            return client.post(
                "/v1/auth/code", json={"email": new_email()}, headers=_from("198.51.100.1")
            )

        assert _statuses(3, post) == [202, 202, 429]
        other_ip = client.post(
            "/v1/auth/code", json={"email": new_email()}, headers=_from("198.51.100.2")
        )
        assert other_ip.status_code == 202
        refused = post(0)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Limit"] == "2"
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_auth_code_email_zone_per_address_whatever_the_ip(make_settings: SettingsFactory) -> None:
    email = new_email()
    with open_client(_limited(make_settings, auth_code_email="1/minute")) as client:

        def post(i: int) -> Any:
            return client.post(
                "/v1/auth/code", json={"email": email}, headers=_from(f"198.51.100.{i + 1}")
            )

        assert _statuses(2, post) == [202, 429]
        # Case does not make another address.
        again = client.post("/v1/auth/code", json={"email": email.upper()})
        assert again.status_code == 429
        assert again.headers["RateLimit-Limit"] == "1"
        assert client.post("/v1/auth/code", json={"email": new_email()}).status_code == 202
        assert len(app_of(client).state.volt.mailer.sent) == 2


def test_auth_token_zone_per_ip(make_settings: SettingsFactory) -> None:
    with open_client(_limited(make_settings, auth_token="3/minute")) as client:

        def post(_: int) -> Any:
            return exchange(client, new_email(), "123456")

        assert _statuses(4, post) == [401, 401, 401, 429]
        email = new_email()
        request_code(client, email)
        # Even the right code waits: the zone counts requests, not failures.
        assert exchange(client, email, mailed_code(client, email)).status_code == 429


def test_default_zone_on_every_v1_route(make_settings: SettingsFactory) -> None:
    with open_client(_limited(make_settings, default="3/minute")) as client:

        def get(_: int) -> Any:
            return client.get("/v1/auth/me")

        assert _statuses(4, get) == [401, 401, 401, 429]
        assert client.get("/health").status_code == 200  # probes are outside /v1
