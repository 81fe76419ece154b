"""Reading what an input file is before DuckDB reads it: format, separator, header, record count.

These run on raw bytes so that bronze can describe a file exactly as received.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from volt.errors import InputFormatError

BOM = b"\xef\xbb\xbf"
CHUNK = 16 * 1024 * 1024  # large enough to amortise numpy calls, small enough for flat memory
JSONL_SAMPLE_LINES = 2_000  # key sets of data-fair JSON lines vary by line (absent = null)

FileFormat = Literal["csv", "jsonl"]


@dataclass(frozen=True)
class TextFileInfo:
    format: FileFormat
    separator: str  # "" for JSON lines
    header: tuple[str, ...]
    has_bom: bool
    compressed: bool


def file_format(path: Path) -> FileFormat:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "csv"


def open_binary(path: Path) -> io.BufferedIOBase:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def inspect_file(path: Path) -> TextFileInfo:
    """Format, separator (`;` or `,`), header names and BOM of an input file."""
    fmt = file_format(path)
    with open_binary(path) as fh:
        head = fh.read(1 << 20)
    has_bom = head.startswith(BOM)
    text = (
        head[len(BOM) :].decode("utf-8", errors="replace")
        if has_bom
        else head.decode("utf-8", errors="replace")
    )
    compressed = path.name.lower().endswith(".gz")
    if not text.strip():
        raise InputFormatError(f"{path.name} is empty.", hint="Remove it or replace it.")
    if fmt == "jsonl":
        return TextFileInfo(fmt, "", _jsonl_keys(path), has_bom, compressed)
    first_line = text.splitlines()[0]
    # Trap: the same source comes `;`-separated (portal exports) or `,`-separated (data-fair).
    separator = ";" if first_line.count(";") >= first_line.count(",") else ","
    header = next(csv.reader([first_line], delimiter=separator))
    return TextFileInfo(fmt, separator, tuple(h.strip() for h in header), has_bom, compressed)


def _jsonl_keys(path: Path) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    with open_binary(path) as fh:
        for n, line in enumerate(fh):
            if n >= JSONL_SAMPLE_LINES:
                break
            line = line.removeprefix(BOM).strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue  # a broken line is counted as a reject by silver, not fatal here
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(obj))
    if not keys:
        raise InputFormatError(
            f"{path.name}: no JSON object found in its first lines.",
            hint="DPE JSON files must hold one JSON object per line (JSON lines).",
        )
    return tuple(keys)


def iter_chunks(path: Path) -> Iterator[bytes]:
    with open_binary(path) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


class RecordCounter:
    """Counts records in a CSV stream, newlines inside quoted fields not counted (RFC 4180).

    Trap: free-text DPE fields contain line breaks inside quotes, so `wc -l` over-counts.
    """

    def __init__(self, fmt: FileFormat) -> None:
        self._fmt = fmt
        self._in_quotes = False
        self._newlines = 0
        self._last_byte = b"\n"
        self._last_byte_before = b"\n"  # last byte of the previous chunk (JSON lines)

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._last_byte = chunk[-1:]
        buf = np.frombuffer(chunk, dtype=np.uint8)
        newlines = np.flatnonzero(buf == 0x0A)
        if self._fmt == "jsonl":
            self._newlines += _non_empty_line_ends(buf, newlines, self._last_byte_before)
            self._last_byte_before = chunk[-1:]
            return
        if newlines.size == 0:
            self._newlines += int(newlines.size)
            if self._fmt == "csv":
                self._in_quotes ^= bool(np.count_nonzero(buf == 0x22) % 2)
            return
        quotes = np.flatnonzero(buf == 0x22)
        # quotes seen before each newline; a newline is a record end when that count is even
        before = np.searchsorted(quotes, newlines)
        parity = (before + int(self._in_quotes)) % 2
        self._newlines += int(np.count_nonzero(parity == 0))
        self._in_quotes = bool((quotes.size + int(self._in_quotes)) % 2)

    def records(self, *, has_header: bool) -> int:
        if self._fmt == "jsonl":
            # Blank lines are no records; a last line without its newline is one.
            return self._newlines + (0 if self._last_byte == b"\n" else 1)
        total = self._newlines + (0 if self._last_byte == b"\n" else 1)
        return max(total - (1 if has_header else 0), 0)


def _non_empty_line_ends(buf: np.ndarray, newlines: np.ndarray, before: bytes) -> int:
    """Newlines that end a non-empty line (JSON lines readers skip blank lines)."""
    if newlines.size == 0:
        return 0
    previous = np.empty(newlines.size, dtype=np.uint8)
    previous[1:] = buf[newlines[1:] - 1]
    previous[0] = buf[newlines[0] - 1] if newlines[0] > 0 else (before[0] if before else 0x0A)
    return int(np.count_nonzero(previous != 0x0A))
