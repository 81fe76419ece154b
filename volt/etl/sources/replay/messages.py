"""Requests and responses as the replay handlers see them (no socket, so handlers stay pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    query: list[tuple[str, str]]  # decoded pairs, in order, blanks kept
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    base_url: str  # scheme://host[:port] as the client addressed it (Host header)
    data_faults: frozenset[str] = frozenset()  # total_change / empty_page firing on this request
    fault_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter (repeated parameters: the last wins)."""
        value = default
        for key, val in self.query:
            if key == name:
                value = val
        return value

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def url_with(self, **replace: str) -> str:
        """This request's absolute URL with some parameters replaced (data-fair's `next`)."""
        pairs = [(k, v) for k, v in self.query if k not in replace]
        pairs.extend(replace.items())
        return f"{self.base_url}{self.path}?{urlencode(pairs, quote_via=quote, safe=',')}"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class ReplayRequestError(Exception):
    """A handler refuses the request: answered as this status with a JSON (or text) body."""

    def __init__(self, status: int, payload: Any) -> None:
        super().__init__(str(payload))
        self.status = status
        self.payload = payload


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, headers=dict(headers or {}))


def text_response(
    text: str, status: int, content_type: str = "text/plain; charset=utf-8"
) -> Response:
    return Response(status, text.encode("utf-8"), content_type)


def int_arg(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ReplayRequestError(400, f"{name} must be an integer, got {raw!r}") from None
