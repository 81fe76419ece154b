"""Pick the mailer from settings."""

from __future__ import annotations

from volt.config import Mailer as MailerKind
from volt.config import Settings
from volt.mail.base import Mailer
from volt.mail.console import ConsoleMailer


def create_mailer(settings: Settings) -> Mailer:
    if settings.mailer is MailerKind.CONSOLE:
        return ConsoleMailer()
    from volt.mail.smtp import SmtpMailer

    return SmtpMailer(settings)
