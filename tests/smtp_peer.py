"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests.

Plain, STARTTLS or implicit TLS (certificates from a throwaway trustme CA), optional AUTH.
Use it as a context manager; `settings()` gives the VOLT_SMTP_* values that reach it:

    with SmtpPeer(SmtpSecurity.STARTTLS, auth=("volt", "pw")) as peer:
        settings = load_settings(env="test", **peer.settings())
        ...
        message = peer.wait_for("alice@example.org")
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from volt.config import SmtpSecurity

HOST = "127.0.0.1"
# The names the server certificate is valid for: what a client may dial on loopback.
DEFAULT_CERT_NAMES = ("localhost", HOST)


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    login: str | None  # the AUTH user of the session, None if it did not log in
    tls: str | None  # TLS version the message travelled over ("TLSv1.3"), None in clear


class _LoopbackController(Controller):
    """Controller on port 0: reads the port the OS chose before the base class dials it."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpPeer:
    """An SMTP server in a background thread; thread-safe record of the messages it accepted."""

    def __init__(
        self,
        security: SmtpSecurity = SmtpSecurity.NONE,
        *,
        auth: tuple[str, str] | None = None,
        refuse_recipients: frozenset[str] = frozenset(),
        cert_names: tuple[str, ...] = DEFAULT_CERT_NAMES,
    ) -> None:
        self.security = security
        self.host = HOST
        self.port = 0
        self._auth = auth
        self._refuse = frozenset(address.lower() for address in refuse_recipients)
        self._cert_names = cert_names
        self._received: list[ReceivedMail] = []
        self._senders: list[str] = []
        self._changed = threading.Condition()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._controller: _LoopbackController | None = None
        self.ca_path: Path | None = None  # PEM of the CA that signed the server certificate

    def __enter__(self) -> SmtpPeer:
        try:
            self.start()
        except BaseException:
            self.stop()  # removes the certificate directory of a peer that never started
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        server_tls = self._make_certificates() if self.security is not SmtpSecurity.NONE else None
        kwargs: dict[str, Any] = {"server_hostname": "localhost", "ready_timeout": 5.0}
        if self.security is SmtpSecurity.STARTTLS:
            kwargs |= {"tls_context": server_tls, "require_starttls": True}
        elif self.security is SmtpSecurity.TLS:
            kwargs["ssl_context"] = server_tls
        if self._auth is not None:
            # AUTH is offered but not required: `ReceivedMail.login` tells whether the client
            # logged in (requiring it without TLS makes aiosmtpd warn on every connection).
            # aiosmtpd only counts STARTTLS as TLS: implicit TLS (and plain) must allow AUTH as is.
            kwargs |= {
                "authenticator": self._authenticate,
                "auth_require_tls": self.security is SmtpSecurity.STARTTLS,
            }
        self._controller = _LoopbackController(_Handler(self), hostname=self.host, port=0, **kwargs)
        self._controller.start()
        self.port = self._controller.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop(no_assert=True)
            self._controller = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def settings(self) -> dict[str, Any]:
        """Settings overrides (for `load_settings`) of a client that reaches this peer."""
        user, password = self._auth if self._auth is not None else (None, None)
        return {
            "mailer": "smtp",
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_security": self.security,
            "smtp_ca_file": self.ca_path,
            "smtp_user": user,
            "smtp_password": password,
        }

    @property
    def received(self) -> tuple[ReceivedMail, ...]:
        with self._changed:
            return tuple(self._received)

    @property
    def senders(self) -> tuple[str, ...]:
        """Every MAIL FROM the server saw, delivered or not (proves nothing went out in clear)."""
        with self._changed:
            return tuple(self._senders)

    def wait_for(self, to: str, timeout: float = 5) -> EmailMessage:
        """The last message delivered to `to` (case-insensitive), waiting up to `timeout` s.

        Blocks the calling thread. The peer records a message before it answers the client, so
        after an awaited `send` (or HTTP call) it returns at once; while a send is still pending
        on the test's own event loop, call it via `anyio.to_thread.run_sync`.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for mail in reversed(self._received):
                    if to.lower() in (rcpt.lower() for rcpt in mail.rcpt_tos):
                        return mail.message
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [mail.rcpt_tos for mail in self._received]
                    raise AssertionError(f"no e-mail to {to} within {timeout} s; got {seen}")
                self._changed.wait(left)

    def _make_certificates(self) -> ssl.SSLContext:
        ca = trustme.CA()
        self._tmp = tempfile.TemporaryDirectory(prefix="volt-smtp-peer-")
        self.ca_path = Path(self._tmp.name) / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*self._cert_names).configure_cert(context)
        return context

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self._auth is not None
        user, password = self._auth
        success = auth_data == LoginPassword(user.encode(), password.encode())
        return AuthResult(success=success, handled=False, auth_data=auth_data if success else None)

    def _record_sender(self, address: str) -> None:
        with self._changed:
            self._senders.append(address)

    def _record(self, mail: ReceivedMail) -> None:
        with self._changed:
            self._received.append(mail)
            self._changed.notify_all()


class _Handler:
    """aiosmtpd hooks; they run in the controller's thread."""

    def __init__(self, peer: SmtpPeer) -> None:
        self._peer = peer

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self._peer._record_sender(address)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self._peer._refuse:
            # Echo the address, as real servers do, so tests see that the client keeps it out
            # of its logs.
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert envelope.original_content is not None and envelope.mail_from is not None
        assert server.transport is not None
        # SMTP lines end in CRLF; a mailbox stores LF, which is what get_content() should see.
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        ssl_object = server.transport.get_extra_info("ssl_object")
        auth = session.auth_data  # the LoginPassword that _authenticate accepted, if any
        self._peer._record(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=message,
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                tls=ssl_object.version() if ssl_object is not None else None,
            )
        )
        return "250 Message accepted for delivery"
