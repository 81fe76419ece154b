"""The `Cache` protocol every backend implements, and how keys are built.

It stores login codes (hashed), token revocations, rate-limit counters (through the `limits`
storage it hands out) and response-cache entries. Every operation the login flow needs to be safe
under concurrency is atomic in both backends: `incr`, `add` and `pop`.
"""

from __future__ import annotations

from typing import Protocol

from limits.aio.storage import Storage


class Cache(Protocol):
    """Byte values under string keys, each with a time to live in seconds."""

    name: str  # "memory" or "redis", shown by /ready and in logs

    async def get(self, key: str) -> bytes | None: ...

    async def get_many(self, *keys: str) -> list[bytes | None]:
        """The values of several keys in one round trip (Redis MGET), in the keys' order."""
        ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Set only if absent; True when this call set it."""
        ...

    async def pop(self, key: str) -> bytes | None:
        """Get and delete in one atomic step (single-use values)."""
        ...

    async def delete(self, *keys: str) -> int:
        """Delete keys; the number that existed."""
        ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one and return the new value; a new counter lives `ttl` seconds from creation."""
        ...

    async def ping(self) -> None:
        """Raise `ServiceUnavailableError` if the backend cannot be reached."""
        ...

    def rate_limit_storage(self) -> Storage:
        """The `limits` storage over the same backend (counters live beside the cache)."""
        ...

    async def close(self) -> None: ...


def cache_key(prefix: str, *parts: str) -> str:
    """`prefix:part:part`; parts must not contain ':' so that two keys cannot collide."""
    for part in parts:
        if ":" in part or not part:
            raise ValueError(f"cache key part {part!r} is empty or contains ':'")
    return ":".join((prefix, *parts))
