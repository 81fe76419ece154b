"""Keyset pagination: `{items, next}` pages cut from `limit + 1` rows (one extra = more exist)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: int | None = Field(
        description="Cursor of the next page (pass it as `before`); null on the last page.",
        examples=[1234],
    )


def cut_page(
    rows: Sequence[T], limit: int, cursor: Callable[[T], int]
) -> tuple[list[T], int | None]:
    """The first `limit` rows, and the cursor of the last one if the query found more."""
    kept = list(rows[:limit])
    return kept, cursor(kept[-1]) if len(rows) > limit and kept else None
