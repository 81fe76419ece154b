"""Benchmark: volt's data routes beside Datasette and a fixed-dict FastAPI floor, in one run.

    python benchmarks/bench_data_api.py --sample /tmp/bench5/sample-12500-7     # ETL first
    python benchmarks/bench_data_api.py --database-url postgresql://…/volt_loaded  # already loaded

Three queries, the same data on both sides:
  1. a commune's statistics      volt /v1/stats/commune?code=C&year=Y
                                 Datasette /db/areas.json?level=commune&code=C&annee=Y
  2. a département's communes    volt /v1/communes?departement=D&limit=50
                                 Datasette /db/communes.json?code_departement=D&_size=50
  3. a building search           volt /v1/buildings?commune=C&year=Y&limit=50
                                 Datasette /db/buildings.json?code_insee=C&annee=Y&_size=50
plus the floor: a FastAPI route returning a fixed dict (same uvicorn, one worker).

volt runs with one worker and the in-process cache (or --workers N sharing a Redis cache), the
rate limiter switched off (VOLT_RATE_LIMIT_ENABLED=false, which `prod` refuses). "cached"
repeats one URL (answers come from the response cache after the first); "uncached" makes every
URL unique (a wrk Lua script adds a counter parameter, so every request misses the cache and
queries PostgreSQL). Datasette (pinned, in a virtualenv of its own under OUT) serves a SQLite
copy of the serving tables in immutable mode, with the indexes these queries need. 50
connections (wrk), --duration s each.
Targets of issue [4/5]: ≥ 3× Datasette on every query; cached ≥ 50 % of the floor; p99 ≤ 50 ms
cached and ≤ 100 ms uncached.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from bench_api import Figures, free_port, reader_token, run_wrk, served, stop, wait_for
from psycopg.conninfo import make_conninfo

from volt.config import Settings, load_settings
from volt.db.admin import ensure_database
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.etl.gold_schema import GOLD_TABLES

DATASETTE = "datasette==0.65.5"
EXPORTED = {  # table → indexes the three Datasette queries need (volt has its own)
    "areas": ["level, code, annee"],
    "communes": ["code_departement, code_insee"],
    "buildings": ["code_insee, annee, ban_id"],
}
TABLES = {t.name: t for t in GOLD_TABLES}
SQLITE_TYPES = {
    "VARCHAR": "TEXT",
    "INTEGER": "INTEGER",
    "BIGINT": "INTEGER",
    "DOUBLE": "REAL",
    "BOOLEAN": "INTEGER",
    "DATE": "TEXT",
}
UNIQUE_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&_bench=" .. counter)
end
"""
FLOOR_APP = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/fixed")
async def fixed() -> dict[str, object]:
    return {"code": "06029", "name": "Cannes", "n_dwellings": 12345, "labels": [1, 2, 3]}
"""


def pick_queries(settings: Settings) -> dict[str, str]:
    """The busiest commune of the latest year, and its département."""
    with connect(settings, DbRole.READER) as conn:
        row = conn.execute(
            "SELECT code_insee, code_departement, annee FROM buildings "
            "GROUP BY 1, 2, 3 ORDER BY annee DESC, count(*) DESC LIMIT 1"
        ).fetchone()
    if row is None:
        sys.exit("The database holds no buildings: load data first (--sample DIR).")
    return {"commune": row[0], "departement": row[1], "year": str(row[2])}


def export_sqlite(settings: Settings, target: Path) -> None:
    target.unlink(missing_ok=True)
    lite = sqlite3.connect(target)
    # The owner: the reader's statement timeout would cut a full-table export; a server-side
    # (named) cursor streams it instead of holding millions of rows in this process.
    with connect(settings, DbRole.OWNER) as conn:
        for table, indexes in EXPORTED.items():
            cur = conn.cursor(name=f"export_{table}")
            cur.execute(f"SELECT * FROM {table}")
            first = cur.fetchmany(50_000)
            columns = [d.name for d in cur.description or ()]
            # Declared types give SQLite's columns their affinity, so that Datasette's `annee=2023`
            # (text in the URL) meets the stored integers and the indexes serve the filters.
            types = dict(TABLES[table].columns)
            typed = ", ".join(f"{c} {SQLITE_TYPES[types[c]]}" for c in columns)
            lite.execute(f"CREATE TABLE {table} ({typed})")
            marks = ", ".join("?" for _ in columns)
            rows = first
            while rows:
                lite.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
                rows = cur.fetchmany(50_000)
            cur.close()
            for i, cols in enumerate(indexes):
                lite.execute(f"CREATE INDEX {table}_{i} ON {table} ({cols})")
    lite.commit()
    lite.execute("ANALYZE")
    lite.close()


@contextmanager
def datasette(out: Path, db: Path) -> Iterator[str]:
    venv = out / "datasette-venv"
    if not (venv / "bin" / "datasette").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", DATASETTE], check=True)
    port = free_port()
    log = out / "datasette.log"
    command = [str(venv / "bin" / "datasette"), "serve", "--immutable", str(db)]
    command += ["--port", str(port), "--setting", "sql_time_limit_ms", "5000"]
    # Facet suggestions run a query per column on every table page (JSON too): a feature volt
    # does not offer, so it is off; the filtered row count stays (Datasette's default).
    command += ["--setting", "suggest_facets", "off"]
    with log.open("w") as fh:
        process = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/-/versions.json", process, log)
        yield f"{base}/{db.stem}"
    finally:
        stop(process)


@contextmanager
def floor_server(out: Path) -> Iterator[str]:
    app_dir = out / "floor"
    app_dir.mkdir(parents=True, exist_ok=True)
    (app_dir / "floor_app.py").write_text(FLOOR_APP)
    port = free_port()
    log = out / "floor.log"
    command = [sys.executable, "-m", "uvicorn", "floor_app:app", "--port", str(port)]
    command += ["--log-level", "warning", "--app-dir", str(app_dir)]
    with log.open("w") as fh:
        process = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/fixed", process, log)
        yield base
    finally:
        stop(process)


def measure(url: str, headers: dict[str, str], duration: int, unique: bool) -> Figures:
    """wrk on one URL; unique=True adds a counter parameter to every request (cache misses)."""
    check = httpx.get(url, headers=headers, timeout=30)
    if check.status_code != 200:
        sys.exit(f"GET {url} answered {check.status_code}: {check.text[:500]}")
    if not unique:
        return run_wrk(url, headers, duration)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(UNIQUE_LUA)
    try:
        return run_wrk(url, headers, duration, Path(script.name))
    finally:
        Path(script.name).unlink()


def load_sample(out: Path, sample: Path) -> Settings:
    server = os.environ.get("VOLT_BENCH_DATABASE_URL")
    if not server:
        sys.exit("--sample needs VOLT_BENCH_DATABASE_URL (a PostgreSQL account that may create).")
    name = f"volt_bench_data_{os.getpid()}"
    ensure_database(server, name)
    url = make_conninfo(server, dbname=name)
    env = os.environ | {"VOLT_DATABASE_URL": url, "VOLT_DATA_DIR": str(out / "data")}
    volt = [sys.executable, "-m", "volt.cli.main"]
    subprocess.run([*volt, "db", "upgrade"], env=env, check=True)
    subprocess.run([*volt, "etl", "run", "--source", "files", "--input", str(sample)], env=env,
                   check=True)  # fmt: skip
    print(f"loaded into {name} (kept: rerun with --database-url {url})")
    return load_settings(database_url=url, data_dir=out / "data")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", help="admin DSN of a migrated volt database with a load")
    parser.add_argument("--sample", type=Path, help="sample directory to load first")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement")
    parser.add_argument("--out", type=Path, default=Path("bench-out/data-api"))
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="volt workers (more than one shares a Redis cache: --redis-url)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.sample:
        settings = load_sample(out, args.sample)
    elif args.database_url:
        settings = load_settings(database_url=args.database_url, data_dir=out / "data")
    else:
        sys.exit("Give --database-url (loaded) or --sample DIR.")
    q = pick_queries(settings)
    print(f"queries on commune {q['commune']}, département {q['departement']}, year {q['year']}")
    secret = os.environ.get("VOLT_SECRET_KEY", "bench-secret-key-not-for-production-use")
    settings = load_settings(**(settings.model_dump() | {"secret_key": secret}))
    token = reader_token(settings, timedelta(hours=2))
    auth = {"Authorization": f"Bearer {token}"}
    db = out / "volt.db"
    started = time.perf_counter()
    export_sqlite(settings, db)
    print(f"SQLite copy for Datasette: {db} ({db.stat().st_size / 1e6:,.0f} MB, "
          f"{time.perf_counter() - started:.0f} s)")  # fmt: skip
    volt_paths = {
        "commune stats": f"/v1/stats/commune?code={q['commune']}&year={q['year']}",
        "communes of a département": f"/v1/communes?departement={q['departement']}&limit=50",
        "building search": f"/v1/buildings?commune={q['commune']}&year={q['year']}&limit=50",
    }
    ds_paths = {
        "commune stats": f"/areas.json?level=commune&code={q['commune']}&annee={q['year']}",
        "communes of a département": f"/communes.json?code_departement={q['departement']}&_size=50",
        "building search": f"/buildings.json?code_insee={q['commune']}&annee={q['year']}&_size=50",
    }
    # One worker: the in-process cache. More: Redis, which the workers share (the memory cache
    # refuses more than one worker).
    redis_url = args.redis_url if args.workers > 1 else ""
    env = {
        "VOLT_RATE_LIMIT_ENABLED": "false",
        "VOLT_SECRET_KEY": secret,
        "VOLT_REDIS_URL": redis_url,
    }
    results: list[tuple[str, str, Figures]] = []
    with floor_server(out) as floor:
        results.append(
            (
                "fixed dict (floor)",
                "FastAPI",
                measure(floor + "/fixed?x=1", {}, args.duration, False),
            )
        )
        with datasette(out, db) as ds:
            for label, path in ds_paths.items():
                results.append((label, "Datasette", measure(ds + path, {}, args.duration, False)))
        print(f"volt: {args.workers} worker(s), cache {'redis' if redis_url else 'memory'}")
        with served(settings, env, args.workers, out / "volt.log") as base:
            for label, path in volt_paths.items():
                results.append(
                    (label, "volt cached", measure(base + path, auth, args.duration, False))
                )
                results.append(
                    (label, "volt uncached", measure(base + path, auth, args.duration, True))
                )
    print_table(results)


def print_table(results: list[tuple[str, str, Figures]]) -> None:
    floor = next(f for _, who, f in results if who == "FastAPI").requests_per_s
    datasette_rate = {label: f.requests_per_s for label, who, f in results if who == "Datasette"}
    print(f"\n{'query':<28} {'server':<14} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}  ratios")
    for label, who, f in results:
        ratio = ""
        if who.startswith("volt"):
            ratio = f"{f.requests_per_s / datasette_rate[label]:.1f}× Datasette"
            if who == "volt cached":
                ratio += f", {100 * f.requests_per_s / floor:.0f} % of the floor"
        figures = f"{f.requests_per_s:>9,.0f} {f.p50_ms:>8.1f} {f.p99_ms:>8.1f}"
        print(f"{label:<28} {who:<14} {figures}  {ratio}")
    print("client (wrk) and servers share the machine's 2 cores.")


if __name__ == "__main__":
    main()
