"""In-process memory cache: the embedded default (one server process, nothing to install).

Values vanish with the process; with more than one worker each would have its own, so the app
refuses several workers on this backend. Operations never await, so each is atomic on the loop.
"""

from __future__ import annotations

import time

from limits.aio.storage import MemoryStorage, Storage

# Expired entries are dropped lazily on access, and all at once every this many writes, so that
# memory stays bounded by what is alive.
PURGE_EVERY_WRITES = 1000


class MemoryCache:
    name = "memory"

    def __init__(self) -> None:
        self._values: dict[str, tuple[bytes, float]] = {}
        self._writes = 0
        self._limits = MemoryStorage()

    def _live(self, key: str) -> tuple[bytes, float] | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            del self._values[key]
            return None
        return entry

    def _put(self, key: str, value: bytes, ttl: float) -> None:
        self._values[key] = (value, time.monotonic() + ttl)
        self._writes += 1
        if self._writes % PURGE_EVERY_WRITES == 0:
            now = time.monotonic()
            for stale in [k for k, (_, exp) in self._values.items() if exp <= now]:
                del self._values[stale]

    async def get(self, key: str) -> bytes | None:
        entry = self._live(key)
        return None if entry is None else entry[0]

    async def get_many(self, *keys: str) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._put(key, value, ttl)

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        self._put(key, value, ttl)
        return True

    async def pop(self, key: str) -> bytes | None:
        entry = self._live(key)
        if entry is None:
            return None
        del self._values[key]
        return entry[0]

    async def delete(self, *keys: str) -> int:
        found = 0
        for key in keys:
            if self._live(key) is not None:
                del self._values[key]
                found += 1
        return found

    async def incr(self, key: str, ttl: float) -> int:
        entry = self._live(key)
        if entry is None:
            self._put(key, b"1", ttl)
            return 1
        value = int(entry[0]) + 1
        self._values[key] = (str(value).encode(), entry[1])  # keeps the creation-time expiry
        return value

    async def ping(self) -> None:
        return None

    def rate_limit_storage(self) -> Storage:
        return self._limits

    async def close(self) -> None:
        self._values.clear()
