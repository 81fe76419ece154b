"""Bronze's view of a file: separator, BOM, header, records counted across chunk boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from volt.errors import ConfigError, InputFormatError
from volt.etl.textfiles import RecordCounter, inspect_file
from volt.etl.zones import Zones

CSV = b'a;b\n1;"x\ny"\n2;"say ""hi""\n"\n3;z'  # 3 records, 2 quoted line breaks, no final \n


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, len(CSV)])
def test_records_are_counted_whatever_the_chunk_boundaries(chunk: int) -> None:
    counter = RecordCounter("csv")
    for i in range(0, len(CSV), chunk):
        counter.feed(CSV[i : i + chunk])
    assert counter.records(has_header=True) == 3


def test_jsonl_records_are_lines() -> None:
    counter = RecordCounter("jsonl")
    counter.feed(b'{"a": 1}\n{"a": 2}\n')
    assert counter.records(has_header=False) == 2


def test_inspect_detects_bom_and_separator(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbfAnn\xc3\xa9e,Code IRIS\n2022,060290102\n")
    info = inspect_file(path)
    assert (info.separator, info.has_bom, info.header) == (",", True, ("Année", "Code IRIS"))


def test_an_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputFormatError, match=r"empty\.csv is empty"):
        inspect_file(path)


def test_object_storage_zones_are_refused_clearly() -> None:
    with pytest.raises(ConfigError, match="only local paths"):
        Zones.from_url("s3://bucket/zones")
    assert Zones.from_url("file:///srv/zones").root == Path("/srv/zones")


@pytest.mark.parametrize("chunk", [1, 3, 100])
def test_blank_json_lines_are_not_records(chunk: int) -> None:
    data = b'{"a": 1}\n\n{"a": 2}\n\n\n{"a": 3}'
    counter = RecordCounter("jsonl")
    for i in range(0, len(data), chunk):
        counter.feed(data[i : i + chunk])
    assert counter.records(has_header=False) == 3
