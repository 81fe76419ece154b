"""A replay *world*: the data every replayed host serves, loaded from one directory.

Layout (what `volt sample generate DIR` writes): `enedis/*.csv` (any header spelling), `dpe/*.csv`
and `dpe/*.jsonl` (current or legacy keys), `ban/adresses-XX.csv[.gz]`; optional `geocoder/*.csv`
(recorded /search/csv answers) and `world.json` (dataset dates and titles).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from volt.errors import UsageError
from volt.etl.sources.registry import match_header, source_spec
from volt.etl.sources.replay.tables import DEFAULT_UPDATED_AT, Row, Table, View, typed_value
from volt.etl.textfiles import BOM, inspect_file, open_binary

ENEDIS_ID = str(source_spec("enedis").settings["dataset_id"])
DPE_ID = str(source_spec("dpe").settings["dataset_id"])
DPE_LEGACY_ID = str(source_spec("dpe").settings["legacy_dataset_id"])
# Trap: data-fair spells two Enedis fields without the apostrophe's underscore.
DATA_FAIR_ENEDIS_KEYS = {
    "consommation_annuelle_totale_de_l_adresse_mwh": "consommation_annuelle_totale_de_ladresse_mwh",
    "consommation_annuelle_moyenne_par_site_de_l_adresse_mwh": (
        "consommation_annuelle_moyenne_par_site_de_ladresse_mwh"
    ),
}
DEFAULT_BAN_LAST_MODIFIED = datetime(2025, 1, 6, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class BanFile:
    """One national BAN file as served: gzip bytes, content-hash ETag, Last-Modified."""

    departement: str
    csv_bytes: bytes
    gz_bytes: bytes
    etag: str
    last_modified: datetime

    @classmethod
    def build(cls, departement: str, csv_bytes: bytes, last_modified: datetime) -> BanFile:
        # mtime=0: the same CSV always gives the same gzip bytes, hence the same ETag.
        gz = gzip.compress(csv_bytes, mtime=0)
        etag = '"' + hashlib.sha256(gz).hexdigest()[:32] + '"'
        return cls(departement, csv_bytes, gz, etag, last_modified)

    @property
    def last_modified_http(self) -> str:
        return format_datetime(self.last_modified, usegmt=True)


class World:
    """Tables, API views, BAN files and recorded geocoder answers; safe to update while serving."""

    def __init__(
        self,
        enedis_rows: Iterable[Row] = (),
        dpe_rows: Iterable[Row] = (),
        ban_files: Mapping[str, bytes] | None = None,
        geocoder_recordings: Iterable[Row] = (),
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        meta = meta or {}
        dates = meta.get("datasets", {})
        self.enedis = Table.create(
            "enedis", source_spec("enedis"), enedis_rows, _date(dates, ENEDIS_ID)
        )
        self.dpe = Table.create("dpe", source_spec("dpe"), dpe_rows, _date(dates, DPE_ID))
        self.titles = {k: str(v["title"]) for k, v in dates.items() if "title" in v}
        ban_date = _aware(meta.get("ban", {}).get("last_modified"))
        self._ban = {
            dep: BanFile.build(dep, data, ban_date) for dep, data in (ban_files or {}).items()
        }
        self.geocoder_recordings: tuple[Row, ...] = tuple(geocoder_recordings)
        self._lock = threading.Lock()
        self.ban_version = 0  # bumped on every BAN change so the geocoder index rebuilds

    @classmethod
    def load(cls, root: Path) -> World:
        if not root.is_dir():
            raise UsageError(
                f"{root} is not a directory.",
                hint="Give a world directory, e.g. one written by `volt sample generate DIR`.",
            )
        meta_path = root / "world.json"
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        return cls(
            enedis_rows=_load_rows(root, "enedis", ("enedis/*.csv",)),
            dpe_rows=_load_rows(root, "dpe", ("dpe/*.csv", "dpe/*.jsonl")),
            ban_files=_load_ban(root),
            geocoder_recordings=_load_recordings(root),
            meta=meta,
        )

    # -- data-fair and Explore views -------------------------------------------------------

    def datafair_view(self, dataset_id: str) -> View | None:
        if dataset_id == ENEDIS_ID:
            keys = {c: DATA_FAIR_ENEDIS_KEYS.get(c, c) for c in self.enedis.spec.columns}
            return View(ENEDIS_ID, self._title(ENEDIS_ID, self.enedis), self.enedis, keys)
        if dataset_id == DPE_ID:
            keys = {c: c for c in self.dpe.spec.columns}
            return View(DPE_ID, self._title(DPE_ID, self.dpe), self.dpe, keys)
        if dataset_id == DPE_LEGACY_ID:
            # The legacy dataset publishes the label-style keys (first alias in the registry).
            keys = {c.name: c.first_alias for c in self.dpe.spec.columns.values()}
            return View(DPE_LEGACY_ID, self._title(DPE_LEGACY_ID, self.dpe), self.dpe, keys)
        return None

    def explore_view(self, dataset_id: str) -> View | None:
        if dataset_id != ENEDIS_ID:
            return None
        keys = {c: c for c in self.enedis.spec.columns}
        title = self._title(ENEDIS_ID, self.enedis)
        return View(ENEDIS_ID, title, self.enedis, keys, year_as_text=True)

    def _title(self, dataset_id: str, table: Table) -> str:
        return self.titles.get(dataset_id, table.spec.title)

    def table(self, dataset_id: str) -> Table:
        view = self.datafair_view(dataset_id)
        if view is None:
            raise KeyError(dataset_id)
        return view.table

    def rows(self, dataset_id: str) -> list[Row]:
        """Copies of the canonical rows behind a dataset (to edit and pass back to `update`)."""
        return [dict(r) for r in self.table(dataset_id).snapshot().rows]

    def update(
        self,
        dataset_id: str,
        *,
        rows: Iterable[Mapping[str, Any]] | None = None,
        data_updated_at: str | None = None,
        updated_at: str | None = None,
    ) -> None:
        """Simulate a source update. Rows may use any registry spelling; both views change."""
        self.table(dataset_id).replace(rows, data_updated_at, updated_at)

    def summary(self) -> list[tuple[str, int, str]]:
        """(dataset id, rows, dataUpdatedAt) of every served dataset, for the CLI."""
        out: list[tuple[str, int, str]] = []
        for dataset_id in (ENEDIS_ID, DPE_ID, DPE_LEGACY_ID):
            snap = self.table(dataset_id).snapshot()
            out.append((dataset_id, len(snap.rows), snap.data_updated_at))
        return out

    # -- BAN files ---------------------------------------------------------------------------

    def ban_file(self, departement: str) -> BanFile | None:
        with self._lock:
            return self._ban.get(departement)

    def ban_files(self) -> list[BanFile]:
        with self._lock:
            return [self._ban[d] for d in sorted(self._ban)]

    def update_ban(
        self,
        departement: str,
        *,
        csv_bytes: bytes | None = None,
        last_modified: datetime | None = None,
    ) -> BanFile:
        """Replace a département's BAN file (new content → new ETag) and/or its date."""
        with self._lock:
            old = self._ban.get(departement)
            data = csv_bytes if csv_bytes is not None else (old.csv_bytes if old else b"")
            date = last_modified or (old.last_modified if old else DEFAULT_BAN_LAST_MODIFIED)
            self._ban[departement] = BanFile.build(departement, data, date)
            self.ban_version += 1
            return self._ban[departement]


def _aware(text: str | None) -> datetime:
    if not text:
        return DEFAULT_BAN_LAST_MODIFIED
    date = datetime.fromisoformat(text)
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def _date(dates: Mapping[str, Any], dataset_id: str) -> str:
    entry = dates.get(dataset_id) or {}
    return str(entry.get("dataUpdatedAt", DEFAULT_UPDATED_AT))


def _load_rows(root: Path, source: str, globs: tuple[str, ...]) -> list[Row]:
    # Sorted file names give a stable row order, hence stable `_i` cursors between runs.
    paths = sorted({p for g in globs for p in root.glob(g) if p.is_file()})
    rows: list[Row] = []
    for path in paths:
        rows.extend(_file_rows(path, source))
    return rows


def _file_rows(path: Path, source: str) -> Iterator[Row]:
    spec = source_spec("enedis" if source == "enedis" else "dpe")
    info = inspect_file(path)
    mapping = match_header(spec, list(info.header)).mapping
    types = {c: spec.columns[c].type for c in mapping}
    if info.format == "jsonl":
        for record in _jsonl_records(path):
            # JSON lines keep their own types (data-fair already typed them).
            yield {c: record.get(header) for c, header in mapping.items()}
        return
    with open_binary(path) as fh:
        text = io.TextIOWrapper(cast(BinaryIO, fh), encoding="utf-8-sig", newline="")
        for record in csv.DictReader(text, delimiter=info.separator):
            yield {c: typed_value(record.get(h), types[c]) for c, h in mapping.items()}


def _jsonl_records(path: Path) -> Iterator[dict[str, Any]]:
    with open_binary(path) as fh:
        for line in fh:
            line = line.removeprefix(BOM).strip()
            if line:
                yield json.loads(line)


def _load_ban(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted((root / "ban").glob("adresses-*.csv*")):
        dep = path.name.removeprefix("adresses-").split(".")[0]
        with open_binary(path) as fh:
            files[dep] = fh.read()
    return files


def _load_recordings(root: Path) -> list[Row]:
    rows: list[Row] = []
    for path in sorted((root / "geocoder").glob("*.csv")):
        info = inspect_file(path)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, delimiter=info.separator)
            rows.extend(dict(r) for r in reader)
    return rows
