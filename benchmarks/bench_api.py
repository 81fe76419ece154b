"""Benchmark: the API's bare framework floor, `GET /health` and `GET /v1/auth/me`, 50 clients.

    python benchmarks/bench_api.py                          # 10 s per run, 1 then 2 workers
    python benchmarks/bench_api.py --duration 30 --redis-url redis://127.0.0.1:6379/14
    python benchmarks/bench_api.py --client asyncio         # without wrk (a slower client)

What each route costs: `/health` is the framework alone (routing, a pydantic model, JSON, the
rate-limit headers middleware); `/v1/auth/me` adds what every data route of [4/5] pays before its
own query: the `default` rate-limit zone (two Redis round trips), the JWT check, the revocation
and account-status lookups (Redis) and one writer-pool query. Data routes compare against it.

Steps: a fresh database (`VOLT_BENCH_DATABASE_URL`, a PostgreSQL ≥ 15 account allowed to create
databases and roles, else an embedded server under OUT/pg-data), migrated; a reader user and a
token signed with this run's VOLT_SECRET_KEY; then, for 1 and 2 workers, `volt serve` in a child
process on loopback, a warm-up, and `wrk -t2 -c50 -d<duration>s --latency` on each route (if wrk
is missing: a Python asyncio client with 50 keep-alive connections). Both runs use Redis
(VOLT_REDIS_URL), so that they are comparable: two workers need it anyway. The rate limits are
raised so that the limiter counts every request but never refuses one; that, and the client
sharing the machine's CPUs with the server, is not the production setting. Any non-2xx answer
fails the run (a 401 or 429 run measures nothing). The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import redis
from psycopg.conninfo import make_conninfo

from volt.api.tokens import issue_token
from volt.auth.users import add_user
from volt.config import Settings, load_settings
from volt.db import embedded, migrate
from volt.db.admin import drop_database, ensure_database
from volt.db.connect import connect
from volt.db.dsn import DbRole, redact
from volt.domain.roles import Role

CONNECTIONS = 50  # the issue's "50 concurrent clients"
WRK_THREADS = 2  # one per core of the reference machine; wrk multiplexes connections per thread
WARMUP_S = 2  # opens the pools' connections and fills the account-status cache
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"  # a database of its own, away from dev (0) and tests
# Counted, never reached: the limiter's Redis work stays in the measure, its refusals do not.
BENCH_LIMIT = "1000000/second"
ZONES = ("default", "auth_code", "auth_code_email", "auth_token")
ENDPOINTS = ("/health", "/v1/auth/me")


@dataclass(frozen=True)
class Figures:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: str = "none"


@dataclass(frozen=True)
class RunResult:
    endpoint: str
    workers: int
    client: str
    figures: Figures


# --- database, user, token -------------------------------------------------------------------


@contextmanager
def fresh_database(out: Path, secret_key: str) -> Iterator[Settings]:
    """Settings on a new migrated database `volt_bench_api_<pid>`, dropped on exit."""
    server = os.environ.get("VOLT_BENCH_DATABASE_URL")
    if not server:
        local = load_settings(database_url=None, data_dir=out / "pg-data")
        # stop_at_exit: stopped when this script ends, if (and only if) it started the server.
        started = embedded.ensure_started(local, stop_at_exit=True)
        server = make_conninfo(started, dbname=embedded.MAINTENANCE_DB)
    name = f"volt_bench_api_{os.getpid()}"
    ensure_database(server, name)
    try:
        settings = load_settings(
            database_url=make_conninfo(server, dbname=name),
            data_dir=out / "data",
            secret_key=secret_key,
        )
        migrate.upgrade(settings)
        yield settings
    finally:
        drop_database(server, name)


def reader_token(settings: Settings, lifetime: timedelta) -> str:
    """A reader account (as `volt users add` makes it) and a token the servers will accept."""
    with connect(settings, DbRole.WRITER) as conn:
        user = add_user(conn, settings, f"bench-{secrets.token_hex(4)}@example.org")
    return issue_token(settings, user.id, Role.READER, lifetime=lifetime).access_token


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def served(settings: Settings, env: dict[str, str], workers: int, log_path: Path) -> Iterator[str]:
    """`volt serve --workers N` in a child process; its base URL once /health answers."""
    assert settings.database_url is not None
    port = free_port()
    child_env = os.environ | env | {"VOLT_DATABASE_URL": settings.database_url.get_secret_value()}
    command = [sys.executable, "-m", "volt.cli.main", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]  # no access log
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=child_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process, log_path)
        yield base
    finally:
        stop(process)


def wait_for_health(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    wait_for(f"{base}/health", process, log_path)


def wait_for(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Until `url` answers 200; exit with the child's log if it dies or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while process.poll() is None and time.monotonic() < deadline:
        # Refused connections are expected while the server starts: try again shortly.
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    sys.exit(f"{url} did not come up; its log ({log_path}):\n{log_path.read_text()[-4000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT, as Ctrl-C would: uvicorn drains, the supervisor stops its workers."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()  # our own child only, by its handle
        process.wait()


def check_answers(base: str, headers: dict[str, str]) -> None:
    """One request per route before measuring: a refused token would make the run meaningless."""
    for endpoint in ENDPOINTS:
        response = httpx.get(base + endpoint, headers=headers, timeout=10)
        if response.status_code != 200:
            sys.exit(f"GET {endpoint} answered {response.status_code}: {response.text}")


# --- the clients -------------------------------------------------------------------------------

WRK_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
WRK_PERCENTILE = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
WRK_REQUESTS = re.compile(r"^\s+(\d+) requests in ", re.MULTILINE)
WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
WRK_SOCKET_ERRORS = re.compile(r"Socket errors: (.+)")


def run_wrk(
    url: str, headers: dict[str, str], duration: int, script: Path | None = None
) -> Figures:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], check=True, capture_output=True, text=True)
    return parse_wrk(done.stdout)


def parse_wrk(text: str) -> Figures:
    percentiles = {p: float(v) * WRK_UNITS_MS[u] for p, v, u in WRK_PERCENTILE.findall(text)}
    requests, rate = WRK_REQUESTS.search(text), WRK_RATE.search(text)
    if requests is None or rate is None or set(percentiles) != {"50", "99"}:
        sys.exit(f"cannot read wrk's output:\n{text}")
    non_2xx = WRK_NON_2XX.search(text)
    errors = WRK_SOCKET_ERRORS.search(text)
    return Figures(
        requests_per_s=float(rate.group(1)),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        requests=int(requests.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors.group(1) if errors else "none",
    )


CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


async def run_asyncio(url: str, headers: dict[str, str], duration: int) -> Figures:
    """The fallback: 50 raw HTTP/1.1 keep-alive connections, each looping until the end.

    Bare asyncio streams rather than an HTTP client library: on a shared CPU, httpx spent more
    time than the server (≈ 1,000 req/s where wrk measured ≈ 8,000 on /health)."""
    target = urlsplit(url)
    lines = [f"GET {target.path} HTTP/1.1", f"Host: {target.netloc}"]
    request = "\r\n".join([*lines, *(f"{k}: {v}" for k, v in headers.items()), "", ""]).encode()
    latencies: list[float] = []
    non_2xx = 0
    deadline = time.perf_counter() + duration

    async def one_client() -> None:
        nonlocal non_2xx
        reader, writer = await asyncio.open_connection(target.hostname, target.port)
        try:
            while (sent := time.perf_counter()) < deadline:
                writer.write(request)
                status = await read_response(reader)
                latencies.append(time.perf_counter() - sent)
                non_2xx += not 200 <= status < 400
        finally:
            writer.close()
            await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Figures(
        requests_per_s=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        requests=len(latencies),
        non_2xx=non_2xx,
    )


async def read_response(reader: asyncio.StreamReader) -> int:
    """The status of one response, its body read (volt's answers all carry Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = CONTENT_LENGTH.search(head)
    if length is None:
        raise RuntimeError(f"a response without Content-Length: {head!r}")
    await reader.readexactly(int(length.group(1)))
    return int(head.split(b" ", 2)[1])


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank, as wrk reports its distribution."""
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def measure(url: str, headers: dict[str, str], duration: int, client: str) -> Figures:
    if client == "wrk":
        return run_wrk(url, headers, duration)
    return asyncio.run(run_asyncio(url, headers, duration))


# --- the runs ----------------------------------------------------------------------------------


def bench_workers(
    settings: Settings, env: dict[str, str], workers: int, args: argparse.Namespace, token: str
) -> list[RunResult]:
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    log = args.out / f"serve-{workers}w.log"
    with served(settings, env, workers, log) as base:
        check_answers(base, headers)
        measure(base + "/v1/auth/me", headers, WARMUP_S, args.client)
        for endpoint in ENDPOINTS:
            load = os.getloadavg()[0]
            print(f"  {workers} worker(s), GET {endpoint}: {args.duration} s (load {load:.2f})…")
            figures = measure(base + endpoint, headers, args.duration, args.client)
            results.append(
                RunResult(endpoint, workers, f"{args.client} {CONNECTIONS} conn.", figures)
            )
            if figures.non_2xx:
                sys.exit(f"GET {endpoint}: {figures.non_2xx} non-2xx answers; server log: {log}")
    return results


def print_setup(settings: Settings, env: dict[str, str], args: argparse.Namespace) -> None:
    assert settings.database_url is not None
    print("setup (a benchmark, NOT the production configuration):")
    print(f"  database     {redact(settings.database_url.get_secret_value())} (dropped after)")
    print(f"  cache        {args.redis_url} for both runs, key prefix {env['VOLT_CACHE_PREFIX']}")
    print(f"  rate limits  VOLT_RATE_LIMITS={env['VOLT_RATE_LIMITS']}")
    print("               (raised: every request is still counted in Redis, none refused)")
    print("  server       volt serve --log-level warning (no access log), 127.0.0.1")
    if args.client == "wrk":
        print(f"  client       wrk -t{WRK_THREADS} -c{CONNECTIONS} -d{args.duration}s --latency")
    else:
        print(
            f"  client       Python asyncio, {CONNECTIONS} keep-alive connections, "
            f"{args.duration} s: it takes more CPU from the server than wrk"
        )
    print(
        f"  machine      {os.cpu_count()} CPUs shared by client and server; "
        f"load average now {os.getloadavg()[0]:.2f}"
    )
    print(
        f"  versions     python {sys.version.split()[0]}, fastapi {version('fastapi')}, "
        f"uvicorn {version('uvicorn')}, volt {version('volt')}\n"
    )


def print_table(results: list[RunResult]) -> None:
    print(
        f"\n{'endpoint':<16} {'workers':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'requests':>9}  client"
    )
    for r in results:
        f = r.figures
        print(
            f"GET {r.endpoint:<12} {r.workers:>7} {f.requests_per_s:>9,.0f} {f.p50_ms:>8.2f} "
            f"{f.p99_ms:>8.2f} {f.requests:>9,}  {r.client}"
        )
    errors = {f"{r.endpoint} {r.workers}w": r.figures.socket_errors for r in results}
    if any(value != "none" for value in errors.values()):
        print(f"socket errors: {errors}")
    print("client and server share the machine's CPUs: the server gets less than all of them.")


def flush_redis_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="one run each")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="Redis of both runs")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="logs, embedded DB")
    parser.add_argument("--client", choices=("wrk", "asyncio"), default="wrk")
    args = parser.parse_args()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.client == "wrk" and shutil.which("wrk") is None:
        print(
            "wrk is not installed (Debian/Ubuntu: apt-get install wrk; macOS: brew install "
            "wrk); falling back to a Python asyncio client.\n"
        )
        args.client = "asyncio"
    try:
        redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        sys.exit(
            f"Redis at {args.redis_url} does not answer ({exc}); start one or pass --redis-url."
        )
    return args


def main() -> None:
    args = parse_args()
    secret_key = secrets.token_urlsafe(32)  # this run's: the servers' and the token's
    prefix = f"bench{os.getpid()}"
    env = {
        "VOLT_SECRET_KEY": secret_key,
        "VOLT_REDIS_URL": args.redis_url,
        "VOLT_CACHE_PREFIX": prefix,
        "VOLT_RATE_LIMITS": json.dumps(dict.fromkeys(ZONES, BENCH_LIMIT)),
        "VOLT_DATA_DIR": str(args.out / "data"),
    }
    # Valid for the whole run, whatever --duration says.
    lifetime = timedelta(seconds=600 + 4 * len(args.workers) * (args.duration + WARMUP_S))
    results: list[RunResult] = []
    try:
        with fresh_database(args.out, secret_key) as settings:
            print_setup(settings, env, args)
            token = reader_token(settings, lifetime)
            for workers in args.workers:
                results += bench_workers(settings, env, workers, args, token)
    finally:
        flush_redis_keys(args.redis_url, prefix)
    print_table(results)


if __name__ == "__main__":
    main()
