"""Roles of API accounts and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    READER = "reader"  # consultation of the data routes
    ADMIN = "admin"  # plus ETL runs, users, audit and monitoring

    @property
    def may_read(self) -> bool:
        return True

    @property
    def is_admin(self) -> bool:
        return self is Role.ADMIN
