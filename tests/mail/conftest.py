"""Mail test fixtures: anyio runs the async tests on asyncio; SMTP peers on loopback.

`smtp_peer` is a plain peer (no TLS, no AUTH), enough for tests that only read what was sent.
For TLS or AUTH, build one directly: `with SmtpPeer(SmtpSecurity.STARTTLS, auth=(user, pw))`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smtp_peer import SmtpPeer
from volt.config import SmtpSecurity

PEER_USER = "volt-mailer"
PEER_PASSWORD = "pa55-Word-never-logged"  # the tests check it never reaches a log line


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    """A plain SMTP server on loopback that records what it receives (see tests/smtp_peer.py)."""
    with SmtpPeer() as peer:
        yield peer


@pytest.fixture
def starttls_peer() -> Iterator[SmtpPeer]:
    """STARTTLS required, AUTH offered for PEER_USER / PEER_PASSWORD."""
    with SmtpPeer(SmtpSecurity.STARTTLS, auth=(PEER_USER, PEER_PASSWORD)) as peer:
        yield peer


@pytest.fixture
def tls_peer() -> Iterator[SmtpPeer]:
    """Implicit TLS (port-465 style), AUTH offered for PEER_USER / PEER_PASSWORD."""
    with SmtpPeer(SmtpSecurity.TLS, auth=(PEER_USER, PEER_PASSWORD)) as peer:
        yield peer
