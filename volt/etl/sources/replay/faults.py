"""Fault injection and the request log of a replay server: what the fetch tests break and measure.

A fault rule fires on the n-th matching request(s); the log lets a test measure request rates the
way a rate-limited host sees them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal[
    "status", "delay", "truncate", "reset", "total_change", "empty_page", "stuck_cursor"
]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "status",
    "delay",
    "truncate",
    "reset",
    "total_change",
    "empty_page",
    "stuck_cursor",
)
# Faults the data handlers apply (the page content changes); the others act on the transport.
DATA_FAULTS = frozenset({"total_change", "empty_page", "stuck_cursor"})


@dataclass
class Fault:
    """A rule: requests whose `METHOD path?query` matches `pattern` (re.search) are counted; the
    ones after the first `after` matches get the fault, `times` times (None: every time).

    Parameters per kind: status → `status` (default 503), `retry_after` (seconds or an HTTP
    date), `location` (redirects);
    delay → `seconds`; truncate/reset → `fraction` of the body sent (default 0.5);
    total_change → `delta` added to the page's total (default 1); empty_page, stuck_cursor
    (a data-fair `next` repeating the page's own cursor) → none.
    """

    pattern: re.Pattern[str]
    kind: FaultKind
    times: int | None = 1
    after: int = 0
    method: str | None = None  # only requests with this method (None: any)
    params: dict[str, Any] = field(default_factory=dict)
    seen: int = 0  # matching requests so far
    fired: int = 0  # requests that got the fault

    def param(self, name: str, default: Any) -> Any:
        return self.params.get(name, default)


class Faults:
    """The fault rules of one server (thread-safe)."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        path_regex: str,
        kind: FaultKind,
        *,
        times: int | None = 1,
        after: int = 0,
        method: str | None = None,
        **params: Any,
    ) -> Fault:
        """Add a rule on paths matching `path_regex` (searched in `path?query`); returns it so a
        test can read `fired`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        upper = method.upper() if method else None
        rule = Fault(re.compile(path_regex), kind, times, after, upper, dict(params))
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def fire(self, method: str, target: str) -> list[Fault]:
        """Count this request against every rule and return the rules that fire on it."""
        fired: list[Fault] = []
        with self._lock:
            for rule in self._rules:
                if rule.method not in (None, method) or not rule.pattern.search(target):
                    continue
                rule.seen += 1
                exhausted = rule.times is not None and rule.fired >= rule.times
                if rule.seen > rule.after and not exhausted:
                    rule.fired += 1
                    fired.append(rule)
        return fired


@dataclass(frozen=True)
class LogEntry:
    t: float  # time.monotonic() when the request arrived
    method: str
    target: str  # path?query as sent
    status: int
    bytes: int  # body bytes actually sent
    faults: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # request headers, names lower case

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class RequestLog:
    """Every request a server answered, in arrival order (thread-safe)."""

    def __init__(self) -> None:
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()

    def record(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, prefix: str = "") -> list[LogEntry]:
        """Entries whose path starts with `prefix`, sorted by arrival time."""
        with self._lock:
            picked = [e for e in self._entries if e.path.startswith(prefix)]
        return sorted(picked, key=lambda e: e.t)

    def count(self, prefix: str = "") -> int:
        return len(self.entries(prefix))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def max_in_window(self, window_s: float, prefix: str = "") -> int:
        """The largest number of requests (path starting with `prefix`) that arrived within any
        `window_s` seconds: arrivals t_i ≤ … ≤ t_j with t_j − t_i < window_s."""
        return max_in_window([e.t for e in self.entries(prefix)], window_s)


def max_in_window(times: list[float], window_s: float) -> int:
    """Sliding-window maximum: the most arrivals with t_last − t_first < window_s."""
    ordered = sorted(times)
    best = first = 0
    for last, t in enumerate(ordered):
        while t - ordered[first] >= window_s:
            first += 1
        best = max(best, last - first + 1)
    return best


def now() -> float:
    return time.monotonic()
