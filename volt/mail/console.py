"""Console mailer: writes the message to the server log. Development only (refused in prod)."""

from __future__ import annotations

import logging
from collections import deque

from volt.mail.base import OutgoingMail

log = logging.getLogger("volt.mail")


class ConsoleMailer:
    name = "console"

    def __init__(self) -> None:
        # The last messages, for a developer (or `volt demo`) to read back; bounded.
        self.sent: deque[OutgoingMail] = deque(maxlen=100)

    async def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)
        # The one place a login code may appear in a log: the dev mailer *is* the log.
        log.warning(
            "mail.console.sent (VOLT_MAILER=console, development only)\nTo: %s\nSubject: %s\n\n%s",
            mail.to,
            mail.subject,
            mail.body,
        )
