"""SMTP mailer: implicit TLS or STARTTLS with verified certificates, one connection per message.

Any failure becomes a `ServiceUnavailableError` (503); the log says why, never what the mail said.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import aiosmtplib

from volt.config import Settings, SmtpSecurity
from volt.errors import ConfigError, ServiceUnavailableError
from volt.mail.base import OutgoingMail

log = logging.getLogger("volt.mail")

# What the HTTP client sees: nothing about our mail server, whose details stay in the log.
FAILED_MESSAGE = "Could not send the e-mail right now."
FAILED_HINT = "Try again in a few minutes; the server log (mail.smtp.failed) has the reason."


class SmtpMailer:
    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self._host = settings.smtp_host
        self._port = settings.smtp_port
        self._security = settings.smtp_security
        self._user = settings.smtp_user
        password = settings.smtp_password
        self._password = password.get_secret_value() if password is not None else ""
        self._sender = settings.smtp_sender
        self._timeout = settings.smtp_timeout_seconds
        # Built once: loading the CA bundle costs far more than the handshake that uses it.
        self._tls_context = _client_tls_context(settings.smtp_ca_file)
        # make_msgid() without a domain asks DNS for our FQDN, which can stall for seconds.
        self._msgid_domain = parseaddr(self._sender)[1].rpartition("@")[2] or "localhost"

    async def send(self, mail: OutgoingMail) -> None:
        message = self._build(mail)
        # One connection per message: login codes are rare, and a kept-open connection would
        # mostly sit idle until the server drops it.
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._security is SmtpSecurity.TLS,
            start_tls=False,  # done explicitly below, so that its absence is an error
            tls_context=self._tls_context,
            timeout=self._timeout,  # per step (connect, each command), not for the whole send
        )
        step = "connect"
        try:
            await client.connect()
            if self._security is SmtpSecurity.STARTTLS:
                step = "starttls"
                # Raises when the server does not offer STARTTLS: never go on in clear.
                await client.starttls()
            if self._user is not None:
                step = "login"
                await client.login(self._user, self._password)
            step = "send"
            await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError) as exc:  # OSError covers TLS and sockets
            self._fail(step, exc, mail)
        else:
            # The message is accepted once DATA is answered; a failed goodbye changes nothing.
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
        finally:
            client.close()

    def _build(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=self._msgid_domain)
        # Quoted-printable keeps accents intact through relays that are not 8-bit clean.
        message.set_content(mail.body, charset="utf-8", cte="quoted-printable")
        return message

    def _fail(self, step: str, exc: Exception, mail: OutgoingMail) -> None:
        reason = _reason(exc)
        # Servers echo addresses in their replies; the body (a login code) is never in `reason`.
        for secret, mask in ((self._password, "<password>"), (mail.to, "<recipient>")):
            if secret:
                reason = reason.replace(secret, mask)
        log.error(
            "mail.smtp.failed host=%s port=%d security=%s step=%s reason=%s",
            self._host,
            self._port,
            self._security.value,
            step,
            reason,
        )
        # `from None`: the chained exception would carry the recipient into any traceback.
        raise ServiceUnavailableError(FAILED_MESSAGE, hint=FAILED_HINT) from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _client_tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificate and host name checked, TLS ≥ 1.2 (Python's defaults); a CA file replaces the
    system CAs rather than adding to them, so a private relay is trusted and nothing else."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"VOLT_SMTP_CA_FILE={ca_file} cannot be read as a PEM CA bundle: {exc}.",
            hint="Point VOLT_SMTP_CA_FILE to the PEM file of the CA that signed the mail server, "
            "or unset it to use the system CAs.",
        ) from exc
