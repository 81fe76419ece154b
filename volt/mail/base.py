"""The `Mailer` protocol and the message it sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str  # plain text


class Mailer(Protocol):
    name: str  # "console" or "smtp"

    async def send(self, mail: OutgoingMail) -> None:
        """Deliver or raise `ServiceUnavailableError` (the caller then voids what it mailed)."""
        ...
