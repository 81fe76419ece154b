"""What the app's lifespan opens and every request reaches through `request.app.state.volt`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from volt.api.ratelimit import RateLimiter
from volt.cache.base import Cache
from volt.config import Settings
from volt.mail.base import Mailer

Pool = AsyncConnectionPool[psycopg.AsyncConnection[TupleRow]]


@dataclass
class AppState:
    settings: Settings
    reader_pool: Pool  # data routes: SELECT on serving tables only, read-only, timeout
    writer_pool: Pool  # auth and admin actions: users, audit_log
    cache: Cache
    mailer: Mailer
    limiter: RateLimiter  # rate-limit zones over the cache's storage
    # Small per-app memos (e.g. the current data load for a couple of seconds).
    memo: dict[str, Any] = field(default_factory=dict)
