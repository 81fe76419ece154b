"""DuckDB sessions for the ETL: on-disk spilling, capped memory, our typing macros loaded."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class DuckConfig:
    memory_limit: str = "1GB"
    threads: int = 2
    temp_dir: Path | None = None


def sql_text(name: str) -> str:
    """An ETL SQL file from volt/etl/transforms/sql/."""
    return resources.files("volt.etl.transforms").joinpath("sql", name).read_text("utf-8")


def literal(value: str) -> str:
    """A SQL string literal; only for paths and registry names, never for user data values."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect(config: DuckConfig) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = {literal(config.memory_limit)}")
    con.execute(f"SET threads = {int(config.threads)}")
    # Order of rows inside a partition carries no meaning; not keeping it saves memory.
    con.execute("SET preserve_insertion_order = false")
    if config.temp_dir is not None:
        config.temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {literal(str(config.temp_dir))}")
    con.execute(sql_text("macros.sql"))
    return con
