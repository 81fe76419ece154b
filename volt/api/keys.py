"""Per-purpose keys derived from VOLT_SECRET_KEY (token signing, code hashes, e-mail hashes).

One secret is configured; each use gets its own key so that a value computed for one purpose
(an audited e-mail hash an admin can read) can never serve another (a token signature), and so
that the signing key is always 32 bytes whatever the length of the configured secret.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from volt.config import Settings


class KeyPurpose(StrEnum):
    TOKEN = "volt/token-signing"  # noqa: S105 - a label mixed into the key, not a secret
    LOGIN_CODE = "volt/login-code-hash"
    EMAIL = "volt/email-hash"


def derived_key(settings: Settings, purpose: KeyPurpose) -> bytes:
    """HMAC-SHA256(secret_key, purpose): 32 bytes, stable for a given secret."""
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, purpose.value.encode(), hashlib.sha256).digest()


def normalise_email(email: str) -> str:
    """One spelling per account: the users table compares e-mails case-insensitively too."""
    return email.strip().lower()


def email_hash(settings: Settings, email: str) -> str:
    """Keyed hash (hex) of an e-mail: how the audit log, codes and rate limits name an address."""
    key = derived_key(settings, KeyPurpose.EMAIL)
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()
