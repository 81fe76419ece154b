"""Token verification and its memo: a remembered token still expires, a forged one is refused."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from volt.api.keys import KeyPurpose, derived_key
from volt.api.tokens import decode_token, issue_token
from volt.config import load_settings
from volt.domain.roles import Role
from volt.errors import AuthenticationError

SETTINGS = load_settings(secret_key="s" * 40)


def test_a_remembered_token_still_expires_at_its_time() -> None:
    issued = issue_token(SETTINGS, 7, Role.READER, lifetime=timedelta(seconds=1))
    assert decode_token(SETTINGS, issued.access_token).user_id == 7
    assert decode_token(SETTINGS, issued.access_token).user_id == 7  # from the memo
    time.sleep(max(0.0, (issued.principal.expires_at.timestamp() - time.time())) + 0.05)
    with pytest.raises(AuthenticationError, match="expired"):
        decode_token(SETTINGS, issued.access_token)


def test_the_memo_is_per_key_and_keeps_no_failure() -> None:
    issued = issue_token(SETTINGS, 8, Role.ADMIN, lifetime=timedelta(minutes=5))
    assert decode_token(SETTINGS, issued.access_token).role is Role.ADMIN
    other = load_settings(secret_key="t" * 40)
    with pytest.raises(AuthenticationError, match="invalid"):
        decode_token(other, issued.access_token)  # remembered under the first key only
    claims = jwt.decode(
        issued.access_token, derived_key(SETTINGS, KeyPurpose.TOKEN), algorithms=["HS256"],
        audience="volt-api",
    )  # fmt: skip
    forged = jwt.encode(claims | {"role": "admin", "sub": "9"}, "x" * 32, algorithm="HS256")
    for _ in range(2):  # a failure is not remembered as a success
        with pytest.raises(AuthenticationError, match="invalid"):
            decode_token(SETTINGS, forged)
