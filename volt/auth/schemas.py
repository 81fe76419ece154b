"""Bodies of the login routes: code request, code exchange (JSON or OAuth2 form), token, me."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from volt.domain.roles import Role

CODE_SENT_DETAIL = "If this address may log in, a code has been sent to it."

# email-validator (behind EmailStr) refuses the special-use domains of RFC 6761 and 7686: they
# cannot receive mail. Said in the schema too, or clients (and the fuzzer) take them for valid.
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
_ANY_CASE = "|".join("".join(f"[{c}{c.upper()}]" for c in name) for name in SPECIAL_USE_DOMAINS)

SPECIAL_USE_NOTE = (
    "Special-use domains (.test, .invalid, .local, .localhost, .onion, .arpa) are refused: "
    "no mail can reach them."
)
LoginEmail = Annotated[
    EmailStr, Field(json_schema_extra={"not": {"pattern": rf"\.(?:{_ANY_CASE})$"}})
]

LoginCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{6}$",
        description="The 6-digit code received by e-mail.",
        examples=["042917"],
    ),
]


class CodeRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "alice@example.org"}]})

    email: LoginEmail = Field(description=f"Where to send the one-time code. {SPECIAL_USE_NOTE}")


class CodeRequested(BaseModel):
    """The same answer whether or not the address is known: it reveals nothing."""

    detail: str = Field(examples=[CODE_SENT_DETAIL])


class CodeExchange(BaseModel):
    """JSON variant of POST /v1/auth/token."""

    model_config = ConfigDict(
        title="CodeExchange",
        json_schema_extra={"examples": [{"email": "alice@example.org", "code": "042917"}]},
    )

    email: LoginEmail = Field(description=f"The e-mail address. {SPECIAL_USE_NOTE}")
    code: LoginCode


class TokenForm(BaseModel):
    """OAuth2 password form of POST /v1/auth/token (what Swagger's *Authorize* sends)."""

    model_config = ConfigDict(
        title="TokenForm",
        json_schema_extra={
            "examples": [
                {"grant_type": "password", "username": "alice@example.org", "password": "042917"}
            ]
        },
    )

    grant_type: Literal["password"] | None = None
    username: LoginEmail = Field(description=f"The e-mail address. {SPECIAL_USE_NOTE}")
    password: LoginCode
    # Sent by OAuth2 clients (Swagger among them) and ignored: volt has no scopes or clients.
    scope: str = ""
    client_id: str | None = None
    client_secret: str | None = None


class TokenRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…",
                    "token_type": "bearer",
                    "expires_in": 1800,
                    "role": "reader",
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the token expires.")
    role: Role


class MeRead(BaseModel):
    email: str = Field(examples=["alice@example.org"])
    role: Role = Field(description="The role this token grants.")
    token_expires_at: datetime
