"""The VoltError hierarchy: every expected failure carries a status and a hint for the user.

No web or database imports here, so that every layer can raise these.
"""

from __future__ import annotations


class VoltError(Exception):
    """An expected failure: a clear message, what to do next, an HTTP status and a CLI exit code."""

    status_code = 500
    exit_code = 1
    title = "Internal error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n→ {self.hint}"


class ConfigError(VoltError):
    """Settings are missing, inconsistent or unsafe for the environment."""

    status_code = 500
    exit_code = 2
    title = "Configuration error"


class UsageError(VoltError):
    """The user asked for something that cannot be done as asked (bad option, bad path)."""

    status_code = 422
    exit_code = 2
    title = "Invalid request"


class InputFormatError(VoltError):
    """An input file cannot be read as the source it claims to be (e.g. missing columns)."""

    status_code = 422
    exit_code = 1
    title = "Invalid input file"


class DatabaseUnavailableError(VoltError):
    """PostgreSQL cannot be reached or started."""

    status_code = 503
    exit_code = 1
    title = "Database unavailable"


class NotFoundError(VoltError):
    status_code = 404
    exit_code = 1
    title = "Not found"


class AuthenticationError(VoltError):
    """No valid credentials: a missing, malformed, forged, expired or revoked token, a bad code."""

    status_code = 401
    exit_code = 1
    title = "Not authenticated"


class PermissionDeniedError(VoltError):
    """Valid credentials, but the role does not allow this."""

    status_code = 403
    exit_code = 1
    title = "Forbidden"


class RateLimitedError(VoltError):
    """Too many requests in a rate-limit zone; `retry_after` seconds until one is allowed."""

    status_code = 429
    exit_code = 1
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class ServiceUnavailableError(VoltError):
    """A backing service (cache, mail server) is down or refused us; retrying later may work."""

    status_code = 503
    exit_code = 1
    title = "Service unavailable"
