"""The partition store: checkpoint round trip, crash leftovers dropped, deterministic pages."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import pytest

from volt.errors import UsageError
from volt.etl.sources.api.partitions import (
    PartitionId,
    PartitionState,
    PartitionStore,
    serialise_rows,
)

PID = PartitionId("dpe", "dpe03existant", "dep-69")


def _state() -> PartitionState:
    return PartitionState(
        api="data-fair",
        dataset="dpe03existant",
        url="http://host/data-fair/api/v1/datasets/dpe03existant/lines",
        filters={"code_departement_ban_eq": "69"},
        select=("numero_dpe", "etiquette_dpe"),
        page_size=2,
        expected_total=5,
        probe={"dataUpdatedAt": "2025-01-01T00:00:00Z", "count": 5, "total": 5},
        started_at="2025-01-02T00:00:00+00:00",
    )


def test_state_round_trips_through_state_json(tmp_path: Path) -> None:
    part = PartitionStore(tmp_path).partition(PID)
    part.reset(_state())
    loaded = part.load()
    assert loaded == _state()
    assert (tmp_path / "dpe" / "dpe03existant" / "dep-69" / "state.json").is_file()
    assert not loaded.complete


def test_commit_page_counts_pages_rows_and_cursor(tmp_path: Path) -> None:
    part = PartitionStore(tmp_path).partition(PID)
    state = part.reset(_state())
    state = part.commit_page(state, b'{"a":1}\n{"a":2}\n', 2, cursor="2", next_url="u?after=2")
    state = part.commit_page(state, b'{"a":3}\n{"a":4}\n', 2, cursor="4", next_url="u?after=4")
    assert (state.pages, state.rows, state.cursor, state.next_url) == (2, 4, "4", "u?after=4")
    assert part.load() == state
    assert [p.name for p in part.pages()] == ["page-00001.jsonl", "page-00002.jsonl"]
    assert part.page_path(2).read_bytes() == b'{"a":3}\n{"a":4}\n'


def test_crash_between_page_and_state_drops_the_uncounted_page(tmp_path: Path) -> None:
    # Trap: kill -9 after the page's rename but before its state: the page is not counted.
    part = PartitionStore(tmp_path).partition(PID)
    state = part.commit_page(part.reset(_state()), b'{"a":1}\n', 1, cursor="1", next_url=None)
    part.page_path(2).write_bytes(b'{"a":2}\n')
    (part.path / "page-00003.jsonl.tmp").write_bytes(b'{"a":3')
    (part.path / "state.json.tmp").write_bytes(b"{")
    assert part.load() == state
    assert sorted(p.name for p in part.path.iterdir()) == ["page-00001.jsonl", "state.json"]


def test_reset_removes_pages_and_data_files(tmp_path: Path) -> None:
    part = PartitionStore(tmp_path).partition(PID)
    state = part.commit_page(part.reset(_state()), b'{"a":1}\n', 1, cursor="1", next_url=None)
    (part.path / "export.csv").write_bytes(b"x\n")
    part.reset(_state())
    assert sorted(p.name for p in part.path.iterdir()) == ["state.json"]
    assert part.load() != state


def test_serialise_rows_drops_volatile_keys_and_keeps_api_order() -> None:
    rows = [
        {"b": 1.5, "a": "é", "_score": None, "_rand": 41, "_i": 7, "_id": "x"},
        {"b": None, "a": "z", "_score": None, "_rand": 3, "_i": 8, "_id": "y"},
    ]
    assert (
        serialise_rows(rows)
        == ('{"b":1.5,"a":"é","_i":7,"_id":"x"}\n{"b":null,"a":"z","_i":8,"_id":"y"}\n').encode()
    )
    assert serialise_rows([]) == b""


def test_state_json_is_stable_text(tmp_path: Path) -> None:
    part = PartitionStore(tmp_path).partition(PID)
    part.reset(_state())
    first = part.state_path.read_bytes()
    part.save(PartitionState.from_json(json.loads(first)))
    assert part.state_path.read_bytes() == first


def test_same_request_ignores_progress_but_not_columns() -> None:
    done = PartitionState(**{**_state().__dict__, "pages": 3, "rows": 5, "completed_at": "t"})
    assert _state().same_request(done)
    other = PartitionState(**{**_state().__dict__, "select": ("numero_dpe",)})
    assert not _state().same_request(other)


@pytest.mark.parametrize("key", ["", "..", "a/b", "dep 69"])
def test_unsafe_partition_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        PartitionId("dpe", "dpe03existant", key)


def test_two_fetches_cannot_share_a_store(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path / "store")
    with ExitStack() as held:
        held.enter_context(store.exclusive())
        with pytest.raises(UsageError, match="Another fetch is using"):
            held.enter_context(store.exclusive())  # the second one, while the first is held
    with ExitStack() as again:  # released: the next fetch goes on
        again.enter_context(store.exclusive())
        assert (store.root / ".lock").is_file()


def test_a_reset_killed_half_way_leaves_no_page_counted_that_is_gone(tmp_path: Path) -> None:
    """The new state is written before the pages are deleted: `load` then drops the rest."""
    part = PartitionStore(tmp_path).partition(PartitionId("dpe", "d", "k"))
    state = part.reset(PartitionState(api="data-fair", dataset="d", url="u"))
    for n in range(3):
        state = part.commit_page(state, b'{"a": 1}\n', 1, cursor=str(n), next_url=None)
    fresh = PartitionState(api="data-fair", dataset="d", url="u")
    part.save(fresh)  # what reset writes first; killed before deleting
    assert part.load() == fresh and part.pages() == []
