"""Benchmark: bronze → silver on a generated sample, beside the floor of a bare DuckDB copy.

    python benchmarks/bench_silver.py --communes 2300      # ≈ 1 M DPE rows
    python benchmarks/bench_silver.py --communes 40 --out /tmp/volt-bench   # a quick check

Steps, each in its own process so that peak RSS is that step's alone:
1. `volt sample generate` (reused when the sample for these arguments exists);
2. the floor: a bare DuckDB `read_csv`/`read_json` → parquet of the same DPE files;
3. volt's files pipeline (bronze → silver of Enedis, DPE and BAN), no database recording.
Prints rows/s per stage and peak RSS, the floor, and the ratio pipeline / floor (target ≤ 4×,
peak RSS ≤ 2 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

TARGET_RATIO = 4.0
TARGET_RSS_MB = 2048


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def child_floor(sample: Path, out: Path) -> dict[str, object]:
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


def child_pipeline(sample: Path, zones: Path, memory_limit: str) -> dict[str, object]:
    from volt.etl.pipeline import FilesRun, run_files
    from volt.etl.reports import StageReport
    from volt.etl.transforms.duck import DuckConfig
    from volt.etl.zones import Zones

    class Quiet:
        def stage(self, name: str, total: int | None) -> None: ...
        def advance(self, amount: int) -> None: ...
        def done(self, report: StageReport) -> None: ...

    run = FilesRun(sample, Zones(zones), DuckConfig(memory_limit, 2))
    report = run_files(run, Quiet())
    return {"report": report.to_dict(), "peak_rss_mb": peak_rss_mb()}


def in_child(step: str, *args: str) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", step, *args]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def generate(sample: Path, communes: int, seed: int) -> float:
    if (sample / ".complete").exists():
        print(f"reusing sample {sample}")
        return 0.0
    started = time.perf_counter()
    volt = Path(sys.executable).parent / "volt"
    subprocess.run(
        [
            str(volt),
            "sample",
            "generate",
            str(sample),
            "--communes",
            str(communes),
            "--seed",
            str(seed),
        ],
        check=True,
    )
    (sample / ".complete").touch()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--communes", type=int, default=2300, help="sample size (2300 ≈ 1 M DPE)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit of the ETL")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, *rest = args.child
        if step == "floor":
            result = child_floor(Path(rest[0]), Path(rest[1]))
        else:
            result = child_pipeline(Path(rest[0]), Path(rest[1]), rest[2])
        print(json.dumps(result))
        return

    sample = (args.out / f"sample-{args.communes}-{args.seed}").resolve()
    gen_s = generate(sample, args.communes, args.seed)
    floor = in_child("floor", str(sample), str(args.out.resolve() / "floor"))
    pipeline = in_child(
        "pipeline", str(sample), str(args.out.resolve() / "zones"), args.memory_limit
    )
    report = pipeline["report"]
    assert isinstance(report, dict)

    size_mb = sum(p.stat().st_size for p in sample.rglob("*") if p.is_file()) / 1e6
    print(
        f"\nsample: {sample} ({size_mb:,.0f} MB){f', generated in {gen_s:.1f} s' if gen_s else ''}"
    )
    print(
        f"{'stage':<8} {'source':<7} {'rows in':>11} {'rows out':>11} {'rejected':>9} "
        f"{'seconds':>8} {'rows/s':>11}"
    )
    total = 0.0
    for s in report["stages"]:
        total += s["seconds"]
        print(
            f"{s['stage']:<8} {s['source']:<7} {s['rows_in']:>11,} {s['rows_out']:>11,} "
            f"{s['rows_rejected']:>9,} {s['seconds']:>8.2f} {s['rows_per_second']:>11,.0f}"
        )
    floor_s = float(floor["seconds"])  # type: ignore[arg-type]
    ratio = total / floor_s if floor_s else float("nan")
    print(
        f"\nfloor (bare DuckDB read → parquet of the DPE files): {floor['rows']:,} rows in "
        f"{floor_s:.2f} s, peak RSS {floor['peak_rss_mb']:.0f} MB"
    )
    print(
        f"volt bronze + silver (Enedis + DPE + BAN): {total:.2f} s, "
        f"peak RSS {pipeline['peak_rss_mb']:.0f} MB"
    )
    print(
        f"ratio volt / floor: {ratio:.2f}×  (target ≤ {TARGET_RATIO:.0f}×: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}); peak RSS target ≤ {TARGET_RSS_MB} MB: "
        f"{'met' if float(pipeline['peak_rss_mb']) <= TARGET_RSS_MB else 'NOT met'}"
    )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
