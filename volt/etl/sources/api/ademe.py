"""ADEME DPE adapter: partitions per département, or per chunk of BAN ids for a refresh.

The current dataset (`dpe03existant`) and the former one (label-style keys) differ only by their
field names; the registry's first alias of each column is the legacy key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from volt.etl.sources.api.config import ApiConfig
from volt.etl.sources.api.partitions import PartitionId, PartitionState
from volt.etl.sources.api.plan import PartitionRequest, departements_in_scope
from volt.etl.sources.registry import source_spec

# BAN ids are ≈ 20 characters: 100 per `_in` filter keeps the URL near 2 KB, under the limits
# of common proxies (8 KB) with room for the `select`.
BAN_IDS_PER_REQUEST = 100


def ademe_requests(
    config: ApiConfig,
    *,
    departement: str | None = None,
    ban_ids: Sequence[str] | None = None,
    page_size: int | None = None,
) -> list[PartitionRequest]:
    """Per département (all of them without one), or per chunk of the given BAN ids."""
    spec = source_spec("dpe").settings
    legacy = config.ademe_legacy
    dataset = str(spec["legacy_dataset_id" if legacy else "dataset_id"])
    suffix = "_legacy" if legacy else ""
    size = page_size or int(spec["page_size"])
    if ban_ids is not None:
        ids = sorted({i.strip() for i in ban_ids if i.strip()})
        field = str(spec["filter_ban_id" + suffix])
        chunks = [ids[i : i + BAN_IDS_PER_REQUEST] for i in range(0, len(ids), BAN_IDS_PER_REQUEST)]
        return [
            _request(config, dataset, _chunk_key(chunk), {f"{field}_in": ",".join(chunk)}, size)
            for chunk in chunks
        ]
    field = str(spec["filter_departement" + suffix])
    return [
        _request(config, dataset, f"dep-{dep}", {f"{field}_eq": dep}, size)
        for dep in departements_in_scope(departement)
    ]


def _chunk_key(ids: Sequence[str]) -> str:
    # The same list of ids (sorted) is the same partition, whatever order it was asked in.
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
    return f"ban-{digest}"


def _request(
    config: ApiConfig, dataset: str, key: str, filters: dict[str, str], size: int
) -> PartitionRequest:
    spec = source_spec("dpe")
    base = config.ademe_root + str(spec.settings["data_fair_path"]).format(dataset_id=dataset)
    pid = PartitionId("dpe", dataset, key)
    state = PartitionState(
        api="data-fair", dataset=dataset, url=base + "/lines", filters=filters, page_size=size
    )
    headers = {}
    if config.ademe_api_key:
        headers[str(spec.settings["api_key_header"])] = config.ademe_api_key
    return PartitionRequest(
        pid=pid,
        kind="data-fair",
        state=state,
        probe_url=base,
        headers=headers,
        columns=_columns(config.ademe_legacy),
        select_without_schema=True,
        bronze_name=f"{dataset}--{key}",
    )


def _columns(legacy: bool) -> tuple[tuple[str, ...], ...]:
    """Per pipeline column, its spellings by preference: the legacy key first on that dataset."""
    columns = source_spec("dpe").columns.values()
    if legacy:
        return tuple(
            (c.first_alias, c.name, *(a for a in c.aliases if a != c.first_alias)) for c in columns
        )
    return tuple((c.name, *c.aliases) for c in columns)
