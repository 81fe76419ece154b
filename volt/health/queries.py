"""SQL of the readiness probe (reader role: it may read data_loads)."""

from __future__ import annotations

CURRENT_LOAD_SQL = """
SELECT data_version, loaded_at FROM data_loads WHERE is_current
"""
