"""The mailers against a real SMTP server on loopback: real TLS, real AUTH, real failures."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.mail.conftest import PEER_PASSWORD, PEER_USER
from tests.smtp_peer import SmtpPeer
from volt.config import SmtpSecurity, load_settings
from volt.errors import ConfigError, ServiceUnavailableError
from volt.mail.base import OutgoingMail
from volt.mail.console import ConsoleMailer
from volt.mail.factory import create_mailer
from volt.mail.smtp import FAILED_HINT, FAILED_MESSAGE, SmtpMailer

pytestmark = pytest.mark.anyio

SENDER = "volt <no-reply@example.org>"
CODE = "482913"
MAIL = OutgoingMail(
    to="alice@example.org",
    subject="Votre code de connexion — volt",
    body=f"Bonjour,\n\nVotre code : {CODE}. Il expire dans 5 minutes.\nÉnergie, chauffé, œuvre.\n",
)


def _mailer(peer: SmtpPeer, **overrides: Any) -> SmtpMailer:
    values = {"env": "test", "smtp_sender": SENDER} | peer.settings() | overrides
    return SmtpMailer(load_settings(**values))


def _failure_line(caplog: pytest.LogCaptureFixture) -> str:
    """The one line volt logged; it must hold neither the code, the password nor the address."""
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("volt")]
    assert len(lines) == 1, lines
    for secret in (CODE, MAIL.body, PEER_PASSWORD, MAIL.to):
        assert secret not in lines[0]
    return lines[0]


async def _send_fails(mailer: SmtpMailer) -> None:
    with pytest.raises(ServiceUnavailableError) as info:
        await mailer.send(MAIL)
    assert (info.value.message, info.value.hint, info.value.status_code) == (
        FAILED_MESSAGE,
        FAILED_HINT,
        503,
    )
    assert info.value.__cause__ is None


@pytest.fixture(autouse=True)
def _volt_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="volt")


@pytest.fixture
def other_ca_file(tmp_path: Path) -> Path:
    """A CA that signed nothing the peers present."""
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


async def test_starttls_delivers_headers_and_utf8_body(starttls_peer: SmtpPeer) -> None:
    await _mailer(starttls_peer).send(MAIL)

    (received,) = starttls_peer.received
    assert (received.mail_from, received.rcpt_tos) == ("no-reply@example.org", (MAIL.to,))
    assert (received.login, received.tls) == (PEER_USER, "TLSv1.3")
    message = starttls_peer.wait_for(MAIL.to)
    assert message["From"] == SENDER
    assert message["To"] == MAIL.to
    assert message["Subject"] == MAIL.subject
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == MAIL.body
    sent_at = parsedate_to_datetime(message["Date"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 5
    assert re.fullmatch(r"<[\w.]+@example\.org>", message["Message-ID"])


async def test_implicit_tls_delivers(tls_peer: SmtpPeer) -> None:
    await _mailer(tls_peer).send(MAIL)

    (received,) = tls_peer.received
    assert (received.login, received.tls) == (PEER_USER, "TLSv1.3")
    assert tls_peer.wait_for(MAIL.to).get_content() == MAIL.body


async def test_no_login_without_a_user(tls_peer: SmtpPeer) -> None:
    await _mailer(tls_peer, smtp_user=None, smtp_password=None).send(MAIL)

    (received,) = tls_peer.received
    assert (received.login, received.tls) == (None, "TLSv1.3")


async def test_wrong_password_fails_and_leaks_nothing(
    starttls_peer: SmtpPeer, caplog: pytest.LogCaptureFixture
) -> None:
    await _send_fails(_mailer(starttls_peer, smtp_password=PEER_PASSWORD + "x"))

    assert (starttls_peer.received, starttls_peer.senders) == ((), ())
    assert _failure_line(caplog) == (
        f"mail.smtp.failed host=127.0.0.1 port={starttls_peer.port} security=starttls "
        "step=login reason=SMTPAuthenticationError: 535 5.7.8 Authentication credentials invalid"
    )


@pytest.mark.parametrize("security", [SmtpSecurity.STARTTLS, SmtpSecurity.TLS])
async def test_certificate_from_another_ca_is_refused(
    security: SmtpSecurity, other_ca_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with SmtpPeer(security) as peer:
        await _send_fails(_mailer(peer, smtp_ca_file=other_ca_file))
        assert (peer.received, peer.senders) == ((), ())

    step = {SmtpSecurity.STARTTLS: "starttls", SmtpSecurity.TLS: "connect"}[security]
    line = _failure_line(caplog)
    assert f"step={step} reason=" in line
    assert "certificate verify failed: unable to get local issuer certificate" in line


async def test_certificate_for_another_host_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    with SmtpPeer(SmtpSecurity.STARTTLS, cert_names=("mail.example.org",)) as peer:
        await _send_fails(_mailer(peer))
        assert (peer.received, peer.senders) == ((), ())

    assert "IP address mismatch, certificate is not valid for '127.0.0.1'" in _failure_line(caplog)


async def test_no_clear_text_when_starttls_is_not_offered(
    smtp_peer: SmtpPeer, caplog: pytest.LogCaptureFixture
) -> None:
    await _send_fails(_mailer(smtp_peer, smtp_security=SmtpSecurity.STARTTLS))

    assert (smtp_peer.received, smtp_peer.senders) == ((), ())  # not even a MAIL FROM
    assert _failure_line(caplog) == (
        f"mail.smtp.failed host=127.0.0.1 port={smtp_peer.port} security=starttls "
        "step=starttls reason=SMTPException: SMTP STARTTLS extension not supported by server."
    )


async def test_refused_recipient_fails_without_logging_the_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with SmtpPeer(refuse_recipients=frozenset({MAIL.to})) as peer:
        await _send_fails(_mailer(peer))
        assert (peer.received, peer.senders) == ((), ("no-reply@example.org",))

    assert _failure_line(caplog) == (
        f"mail.smtp.failed host=127.0.0.1 port={peer.port} security=none step=send "
        "reason=SMTPRecipientRefused: 550 5.1.1 <<recipient>>: Recipient address rejected"
    )


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connections are refused at once, and no one can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (kernel backlog) but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


async def test_connection_refused_fails_fast(
    smtp_peer: SmtpPeer, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = _mailer(smtp_peer, smtp_port=closed_port, smtp_timeout_seconds=10)
    started = time.monotonic()
    await _send_fails(mailer)

    assert time.monotonic() - started < 1
    expected = (
        f"step=connect reason=SMTPConnectError: Error connecting to 127.0.0.1 on port {closed_port}"
    )
    assert expected in _failure_line(caplog)


async def test_silent_server_times_out(
    smtp_peer: SmtpPeer, silent_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = _mailer(smtp_peer, smtp_port=silent_port, smtp_timeout_seconds=0.2)
    started = time.monotonic()
    await _send_fails(mailer)

    assert 0.2 <= time.monotonic() - started < 2
    assert _failure_line(caplog).endswith(
        "step=connect reason=SMTPConnectTimeoutError: Timed out waiting for server ready message"
    )


def test_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("not a certificate\n")
    for path in (bad, tmp_path / "missing.pem"):
        with pytest.raises(ConfigError, match="cannot be read as a PEM CA bundle"):
            SmtpMailer(load_settings(env="test", mailer="smtp", smtp_ca_file=path))


async def test_console_mailer_logs_and_keeps_the_message(caplog: pytest.LogCaptureFixture) -> None:
    mailer = ConsoleMailer()
    await mailer.send(MAIL)

    assert list(mailer.sent) == [MAIL]
    (record,) = [r for r in caplog.records if r.name == "volt.mail"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "mail.console.sent (VOLT_MAILER=console, development only)\n"
        f"To: {MAIL.to}\nSubject: {MAIL.subject}\n\n{MAIL.body}"
    )


def test_create_mailer_picks_each_kind() -> None:
    console = create_mailer(load_settings(env="test", mailer="console"))
    smtp = create_mailer(load_settings(env="test", mailer="smtp"))

    assert (type(console), console.name) == (ConsoleMailer, "console")
    assert (type(smtp), smtp.name) == (SmtpMailer, "smtp")
