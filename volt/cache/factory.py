"""Pick the cache backend from settings: Redis when VOLT_REDIS_URL is set, else memory."""

from __future__ import annotations

from volt.cache.base import Cache
from volt.cache.memory import MemoryCache
from volt.config import Settings


def create_cache(settings: Settings) -> Cache:
    """An unconnected backend (Redis connects lazily on first use)."""
    if settings.redis_url is None:
        return MemoryCache()
    from volt.cache.redis import RedisCache

    return RedisCache(settings.redis_url.get_secret_value())
