"""Benchmark: the files pipeline (bronze → silver → gold → PostgreSQL) beside its floors.

    python benchmarks/bench_pipeline.py --communes 2300            # ≈ 1 M DPE rows
    python benchmarks/bench_pipeline.py --communes 11000           # ≈ 5 M DPE rows
    python benchmarks/bench_pipeline.py --communes 40 --stop-after silver   # a quick check

Steps, each in its own process so that peak RSS is that step's alone:
1. `volt sample generate` (reused when the sample for these arguments exists);
2. floor 1: a bare DuckDB `read_csv`/`read_json` → parquet of the same DPE files;
3. volt's pipeline on the sample: bronze → silver [→ gold → quality gates → load];
4. floor 2 (with the load): one bare `COPY` stream (CSV) of the same rows volt loaded, into
   temporary tables of the same shape (PostgreSQL's parse cost; volt loads with parallel streams).
   For reference it also times one binary `COPY` stream of the same rows — volt loads in binary —
   and prints the ratio against that floor too.
PostgreSQL: `VOLT_BENCH_DATABASE_URL` if set (a fresh database `volt_bench_<pid>` is created on
that server and dropped after, so that no earlier load meets the quality gates), else an embedded
server in OUT/pg-data.
Prints rows/s per stage, peak RSS, the floors and the ratio volt / Σ floors.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TARGETS = {"silver": (4.0, 2048), "load": (3.0, 3072)}  # (ratio to floors, peak RSS MB)


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def child_floor_duckdb(sample: Path, out: Path) -> dict[str, Any]:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    rows = 0
    started = time.perf_counter()
    for i, path in enumerate(sorted((sample / "dpe").iterdir())):
        reader = (
            f"read_json('{path}', format='newline_delimited')"
            if path.suffix == ".jsonl"
            else f"read_csv('{path}')"
        )
        result = con.execute(f"COPY (SELECT * FROM {reader}) TO '{out}/f{i}.parquet'").fetchone()
        rows += int(result[0]) if result else 0
    return {"rows": rows, "seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


def bench_settings(out: Path) -> Any:
    from volt.config import load_settings

    url = os.environ.get("VOLT_BENCH_DATABASE_URL")
    if url:
        return load_settings(database_url=url, data_dir=out / "data")
    return load_settings(data_dir=out / "pg-data")


def child_pipeline(sample: Path, out: Path, memory_limit: str, stop_after: str) -> dict[str, Any]:
    from volt.db.migrate import upgrade
    from volt.etl.pipeline import PIPELINE_VERSION, FilesRun, run_etl
    from volt.etl.publish import PostgresPublisher
    from volt.etl.reports import StageReport
    from volt.etl.transforms.duck import DuckConfig
    from volt.etl.zones import Zones

    class Quiet:
        def stage(self, name: str, total: int | None) -> None: ...
        def advance(self, amount: int) -> None: ...
        def done(self, report: StageReport) -> None: ...

    publisher = None
    if stop_after == "load":
        settings = bench_settings(out)
        upgrade(settings)
        publisher = PostgresPublisher(settings, f"{PIPELINE_VERSION}-bench-{time.time()}")
    run = FilesRun(sample, Zones(out / "zones"), DuckConfig(memory_limit, 2), stop_after=stop_after)  # type: ignore[arg-type]
    report = run_etl(run, Quiet(), publisher=publisher)
    gold = out / "zones" / "gold" / report.run_id
    return {"report": report.to_dict(), "gold": str(gold), "peak_rss_mb": peak_rss_mb()}


def child_floor_copy(gold: Path, out: Path) -> dict[str, Any]:
    """One COPY stream of every published gold table's rows into temporary tables (parse floor)."""
    import duckdb

    from volt.db.connect import connect
    from volt.db.dsn import DbRole
    from volt.etl.gold_schema import PUBLISHED_TABLES

    settings = bench_settings(out)
    csv_dir = out / "floor-copy"
    csv_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for table in PUBLISHED_TABLES:  # conversion to CSV is not part of the floor: untimed
        target = csv_dir / f"{table.name}.csv"
        cols = ", ".join(table.column_names)
        duckdb.execute(
            f"COPY (SELECT {cols} FROM read_parquet('{gold}/{table.name}.parquet')) "
            f"TO '{target}' (FORMAT csv, HEADER false)"
        )
        files.append((table, target))
    rows, seconds = 0, 0.0
    with connect(settings, DbRole.OWNER) as conn, conn.cursor() as cur:
        for table, target in files:
            # The same shape as volt's staging tables: defaults, identity, constraints, no index.
            cur.execute(
                f"CREATE TEMP TABLE floor_{table.name} (LIKE {table.name} INCLUDING DEFAULTS "
                "INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
            )
            cols = ", ".join(table.column_names)
            started = time.perf_counter()
            with (
                cur.copy(f"COPY floor_{table.name} ({cols}) FROM STDIN (FORMAT csv)") as copy,
                target.open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            seconds += time.perf_counter() - started
            rows += cur.rowcount
    binary_seconds = _binary_copy_floor(settings, gold, csv_dir)
    return {
        "rows": rows,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "binary_seconds": binary_seconds,
    }


def _binary_copy_floor(settings: Any, gold: Path, work: Path) -> float:
    """The same rows as one binary COPY stream (volt loads in binary); encoding is untimed."""
    import duckdb
    from pgpq import ArrowToPostgresBinaryEncoder

    from volt.db.connect import connect
    from volt.db.dsn import DbRole
    from volt.etl.gold_schema import PUBLISHED_TABLES

    seconds = 0.0
    with connect(settings, DbRole.OWNER) as conn, conn.cursor() as cur:
        for table in PUBLISHED_TABLES:
            cols = ", ".join(table.column_names)
            reader = duckdb.sql(
                f"SELECT {cols} FROM read_parquet('{gold}/{table.name}.parquet')"
            ).to_arrow_reader(65_536)
            encoder = ArrowToPostgresBinaryEncoder(reader.schema)
            target = work / f"{table.name}.bin"
            with target.open("wb") as fh:
                fh.write(encoder.write_header())
                for batch in reader:
                    fh.write(encoder.write_batch(batch))
                fh.write(encoder.finish())
            cur.execute(
                f"CREATE TEMP TABLE floor_bin_{table.name} (LIKE {table.name} INCLUDING DEFAULTS "
                "INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
            )
            started = time.perf_counter()
            with (
                cur.copy(
                    f"COPY floor_bin_{table.name} ({cols}) FROM STDIN (FORMAT binary)"
                ) as copy,
                target.open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            seconds += time.perf_counter() - started
    return seconds


def in_child(step: str, *args: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", step, *args]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"step {step} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def generate(sample: Path, communes: int, seed: int) -> float:
    if (sample / ".complete").exists():
        print(f"reusing sample {sample}")
        return 0.0
    started = time.perf_counter()
    volt = Path(sys.executable).parent / "volt"
    cmd = [str(volt), "sample", "generate", str(sample), "--communes", str(communes)]
    subprocess.run([*cmd, "--seed", str(seed)], check=True)
    (sample / ".complete").touch()
    return time.perf_counter() - started


def print_results(
    sample: Path, gen_s: float, floors: dict[str, dict[str, Any]], pipeline: dict[str, Any],
    stop_after: str,
) -> None:  # fmt: skip
    report = pipeline["report"]
    size_mb = sum(p.stat().st_size for p in sample.rglob("*") if p.is_file()) / 1e6
    print(
        f"\nsample: {sample} ({size_mb:,.0f} MB)"
        + (f", generated in {gen_s:.1f} s" if gen_s else "")
    )
    print(f"{'stage':<8} {'source':<9} {'rows in':>11} {'rows out':>11} {'rejected':>9} "
          f"{'seconds':>8} {'rows/s':>11}")  # fmt: skip
    total = 0.0
    for s in report["stages"]:
        total += s["seconds"]
        print(f"{s['stage']:<8} {s['source']:<9} {s['rows_in']:>11,} {s['rows_out']:>11,} "
              f"{s['rows_rejected']:>9,} {s['seconds']:>8.2f} "
              f"{s['rows_per_second']:>11,.0f}")  # fmt: skip
    first_line = report["message"].splitlines()[0] if report["message"] else ""
    print(f"run status: {report['status']} — {first_line}")
    floor_total = 0.0
    for name, floor in floors.items():
        floor_total += floor["seconds"]
        rate = floor["rows"] / floor["seconds"] if floor["seconds"] else 0
        print(f"floor {name}: {floor['rows']:,} rows in {floor['seconds']:.2f} s "
              f"({rate:,.0f} rows/s), peak RSS {floor['peak_rss_mb']:.0f} MB")  # fmt: skip
    ratio = total / floor_total if floor_total else float("nan")
    copy_floor = next((f for f in floors.values() if "binary_seconds" in f), None)
    if copy_floor is not None:
        binary = copy_floor["binary_seconds"]
        other = floor_total - copy_floor["seconds"] + binary
        print(f"floor one binary COPY stream (same rows; volt loads in binary): {binary:.2f} s "
              f"→ ratio against the DuckDB + binary COPY floors: {total / other:.2f}×")  # fmt: skip
    target_ratio, target_rss = TARGETS["load" if stop_after == "load" else "silver"]
    rss = float(pipeline["peak_rss_mb"])
    stages = " → ".join(dict.fromkeys(s["stage"] for s in report["stages"]))
    print(f"volt {stages}: {total:.2f} s, peak RSS {rss:.0f} MB")
    print(f"ratio volt / Σ floors: {ratio:.2f}×  (target ≤ {target_ratio:.0f}×: "
          f"{'met' if ratio <= target_ratio else 'NOT met'}); peak RSS target ≤ {target_rss} MB: "
          f"{'met' if rss <= target_rss else 'NOT met'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--communes", type=int, default=2300, help="sample size (2300 ≈ 1 M DPE)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory_limit of the ETL")
    parser.add_argument("--stop-after", choices=("silver", "load"), default="load")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, *rest = args.child
        if step == "floor-duckdb":
            result = child_floor_duckdb(Path(rest[0]), Path(rest[1]))
        elif step == "floor-copy":
            result = child_floor_copy(Path(rest[0]), Path(rest[1]))
        else:
            result = child_pipeline(Path(rest[0]), Path(rest[1]), rest[2], rest[3])
        print(json.dumps(result))
        return

    out = args.out.resolve()
    with fresh_bench_database():
        run_benchmark(args, out)


@contextmanager
def fresh_bench_database() -> Iterator[None]:
    """Point the children at a new database on the VOLT_BENCH_DATABASE_URL server, dropped after."""
    server = os.environ.get("VOLT_BENCH_DATABASE_URL")
    if not server:
        yield
        return
    from psycopg.conninfo import make_conninfo

    from volt.db.admin import drop_database, ensure_database

    name = f"volt_bench_{os.getpid()}"
    ensure_database(server, name)
    os.environ["VOLT_BENCH_DATABASE_URL"] = make_conninfo(server, dbname=name)
    try:
        yield
    finally:
        os.environ["VOLT_BENCH_DATABASE_URL"] = server
        drop_database(server, name)


def run_benchmark(args: argparse.Namespace, out: Path) -> None:
    sample = out / f"sample-{args.communes}-{args.seed}"
    gen_s = generate(sample, args.communes, args.seed)
    floors = {
        "duckdb read → parquet (DPE)": in_child("floor-duckdb", str(sample), str(out / "floor"))
    }
    pipeline = in_child("pipeline", str(sample), str(out), args.memory_limit, args.stop_after)
    if args.stop_after == "load":
        floors["one COPY stream (all loaded rows)"] = in_child(
            "floor-copy", pipeline["gold"], str(out)
        )
    print_results(sample, gen_s, floors, pipeline, args.stop_after)


if __name__ == "__main__":
    main()
