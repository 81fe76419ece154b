"""Bodies of the admin routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 812,
                    "at": "2025-03-14T09:26:53.589Z",
                    "actor_user_id": 17,
                    "actor_email_hash": "5f0c…e1",
                    "action": "auth.login.succeeded",
                    "ip": "203.0.113.7",
                    "details": {"role": "reader"},
                }
            ]
        }
    )

    id: int
    at: datetime
    actor_user_id: int | None = Field(description="The user who acted, when known.")
    actor_email_hash: str | None = Field(
        description="Keyed hash of the e-mail involved (e-mails are never stored in clear)."
    )
    action: str = Field(examples=["auth.login.failed"])
    ip: str | None = Field(examples=["203.0.113.7"])
    details: dict[str, Any]
