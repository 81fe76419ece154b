"""The replay server: one local HTTP server standing for every source host, with faults and a log.

Stdlib `ThreadingHTTPServer` in a daemon thread, so that a test controls the transport exactly
(truncated bodies, connection resets); several servers can run at once (e.g. a failing primary
geocoder and a working fallback), each with its own faults and log, sharing a world or not.
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from volt.etl.sources.replay import ban, datafair, explore, geocoder
from volt.etl.sources.replay.faults import DATA_FAULTS, Fault, Faults, LogEntry, RequestLog, now
from volt.etl.sources.replay.messages import ReplayRequestError, Request, Response, json_response
from volt.etl.sources.replay.tables import as_text
from volt.etl.sources.replay.world import World

logger = logging.getLogger(__name__)
Handler = Callable[[Request, "ReplayServer", re.Match[str]], Response]
POLL_INTERVAL_S = 0.02  # how fast stop() returns (the stdlib default, 0.5 s, slows every test)
STATUS_MESSAGES = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _datafair_dataset(request: Request, server: ReplayServer, match: re.Match[str]) -> Response:
    view = server.world.datafair_view(match["id"])
    if view is None:
        raise ReplayRequestError(404, {"error": f"dataset {match['id']} not found"})
    if match["rest"] == "/lines":
        return datafair.lines(request, view)
    return datafair.dataset(request, view)


def _explore(request: Request, server: ReplayServer, match: re.Match[str]) -> Response:
    view = server.world.explore_view(match["id"])
    if view is None:
        raise ReplayRequestError(404, {"error_code": "DatasetNotFound", "message": match["id"]})
    if match["rest"] == "/records":
        return explore.records(request, view)
    if match["rest"] == "/exports/csv":
        return explore.export_csv(request, view)
    return explore.dataset(request, view)


def _ban_file(request: Request, server: ReplayServer, match: re.Match[str]) -> Response:
    return ban.national_file(request, server.world, match["dep"])


def _search(request: Request, server: ReplayServer, match: re.Match[str]) -> Response:
    if match["csv"]:
        return geocoder.search_csv(request, server.world)
    return geocoder.search(request, server.world)


# Any path prefix is accepted so that roots like http://host:port/geocodage work too.
ROUTES: list[tuple[re.Pattern[str], tuple[str, ...], Handler]] = [
    (
        re.compile(r".*/data-fair/api/v1/datasets/(?P<id>[^/]+)(?P<rest>/lines)?/?"),
        ("GET", "HEAD"),
        _datafair_dataset,
    ),
    (
        re.compile(
            r".*/api/explore/v2\.1/catalog/datasets/(?P<id>[^/]+)(?P<rest>/records|/exports/csv)?/?"
        ),
        ("GET", "HEAD"),
        _explore,
    ),
    (
        re.compile(r".*/data/ban/adresses/latest/csv/adresses-(?P<dep>[0-9AB]{2,3})\.csv\.gz"),
        ("GET", "HEAD"),
        _ban_file,
    ),
    (re.compile(r"(?:/.*)?/search(?P<csv>/csv)?/?"), ("GET", "HEAD", "POST"), _search),
]


class ReplayServer:
    """A local stand-in for opendata.enedis.fr, data.enedis.fr, data.ademe.fr, the BAN files and
    the BAN geocoders, serving `world` at the real hosts' paths.

    >>> with ReplayServer(World.load(path)) as server:
    ...     server.url  # "http://127.0.0.1:PORT": use it as every VOLT_*_URL root
    """

    def __init__(
        self,
        world: World | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
    ) -> None:
        self.world = world if isinstance(world, World) else World.load(world)
        self.faults = Faults()
        self.log = RequestLog()
        self.latency_s = latency_s  # added before every answer (slow runs for kill-and-resume)
        self._stopping = threading.Event()
        self._httpd = _HttpServer((host, port), _RequestHandler, self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """VOLT_* settings pointing volt at this server (the geocoder fallback disabled, so that
        nothing reaches a real host)."""
        return {
            "VOLT_ENEDIS_API_URL": self.url,
            "VOLT_ADEME_API_URL": self.url,
            "VOLT_BAN_API_URL": self.url,
            "VOLT_BAN_FALLBACK_API_URL": "",
            "VOLT_BAN_FILES_URL": self.url,
        }

    def start(self) -> ReplayServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": POLL_INTERVAL_S},
                name=f"replay-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay fault
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._stopping.set()
            self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def answer(self, request: Request) -> Response:
        """Route a request to its handler (pure: no socket, no faults of the transport)."""
        for pattern, methods, handler in ROUTES:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if request.method not in methods:
                return json_response({"error": "method not allowed"}, 405)
            try:
                return handler(request, self, match)
            except ReplayRequestError as exc:
                return json_response(_error_payload(exc), exc.status)
            except Exception as exc:  # a replay bug: say so, rather than drop the connection
                logger.exception("replay.request.failed %s %s", request.method, request.path)
                return json_response({"error": f"replay server bug: {exc!r}"}, 500)
        return json_response({"error": f"no replayed API at {request.path}"}, 404)


def _error_payload(exc: ReplayRequestError) -> Any:
    return exc.payload if isinstance(exc.payload, dict) else {"error": exc.payload}


def status_response(fault: Fault) -> Response:
    """The answer of a `status` fault: JSON error body, Retry-After (seconds or HTTP date),
    Location (`location=`, for redirects)."""
    status = int(fault.param("status", 503))
    headers: dict[str, str] = {}
    retry_after = fault.param("retry_after", None)
    if isinstance(retry_after, datetime):
        headers["Retry-After"] = format_datetime(retry_after, usegmt=True)
    elif retry_after is not None:
        headers["Retry-After"] = as_text(retry_after)  # 2 → "2"; a string (HTTP date) as is
    location = fault.param("location", None)
    if location is not None:  # a redirect (301, 302, 307…) to this URL
        headers["Location"] = str(location)
    message = STATUS_MESSAGES.get(status, "Error")
    body = fault.param("body", {"status": status, "error": message})
    return json_response(body, status, headers)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client never blocks shutdown
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[_RequestHandler], replay: ReplayServer
    ) -> None:
        self.replay = replay
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or reset mid-answer are expected here; stay quiet.
        return


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real hosts
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every keep-alive answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        return  # the RequestLog records requests; stderr stays clean

    def _serve(self) -> None:
        arrived = now()
        replay = self.server.replay
        length = int(self.headers.get("Content-Length") or 0)
        upload = self.rfile.read(length) if length else b""
        fired = replay.faults.fire(self.command, self.path)
        kinds: dict[str, Fault] = {f.kind: f for f in fired}
        replay.sleep(replay.latency_s)
        if "delay" in kinds:
            replay.sleep(float(kinds["delay"].param("seconds", 1.0)))
        if "status" in kinds:
            response = status_response(kinds["status"])
        else:
            response = replay.answer(self._request(upload, kinds))
        partial = next((k for k in ("truncate", "reset") if k in kinds), None)
        body = b"" if self.command == "HEAD" else response.body
        if partial is not None:
            body = body[: int(len(body) * float(kinds[partial].param("fraction", 0.5)))]
        # Logged before writing, so a client that got its answer always finds it in the log.
        headers = {name.lower(): value for name, value in self.headers.items()}
        replay.log.record(
            LogEntry(
                arrived, self.command, self.path, response.status, len(body), tuple(kinds), headers
            )
        )
        self._send(response, body, partial)

    def _request(self, body: bytes, kinds: dict[str, Fault]) -> Request:
        parts = urlsplit(self.path)
        host = self.headers.get("Host") or f"{self.server.replay.host}:{self.server.replay.port}"
        return Request(
            method=self.command,
            path=parts.path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
            data_faults=frozenset(k for k in kinds if k in DATA_FAULTS),
            fault_params={k: f.params for k, f in kinds.items() if k in DATA_FAULTS},
        )

    def _send(self, response: Response, body: bytes, partial: str | None) -> None:
        """Write the answer; for truncate/reset, `body` is the part sent before breaking off."""
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            if partial is not None:
                self._break(partial)
        except OSError:
            self.close_connection = True  # the client went away (e.g. its timeout fired)

    def _break(self, kind: str) -> None:
        self.close_connection = True
        if kind == "reset":
            # SO_LINGER 0: close() sends RST, so the client sees a reset, not a clean EOF.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        # truncate: the server closes normally after Content-Length promised more bytes.
