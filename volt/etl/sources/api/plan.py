"""What to fetch: one `PartitionRequest` per partition, built by the source adapters.

A request says where the partition lives in the store, which API reads it, how it is filtered,
and which columns to ask for; `fetch.py` probes, skips, resumes or fetches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from volt.errors import UsageError
from volt.etl.sources.api.partitions import PartitionId, PartitionState

ApiKind = Literal["data-fair", "explore", "file"]

# Every French département code, as the sources write them (text: `01`, `2A`, `974`).
_METRO = [f"{n:02d}" for n in range(1, 96) if n != 20]
ALL_DEPARTEMENTS: tuple[str, ...] = tuple(
    sorted([*_METRO, "2A", "2B", "971", "972", "973", "974", "976"])
)


@dataclass(frozen=True)
class PartitionRequest:
    pid: PartitionId
    kind: ApiKind
    # The request part of the checkpoint (API, URL, filters, page size); progress fields unset.
    state: PartitionState
    probe_url: str  # data-fair dataset / Explore catalog entry / the file itself
    headers: dict[str, str] = field(default_factory=dict)  # e.g. x-apiKey, for this host only
    # Per column the pipeline uses, its spellings by preference; resolved against the dataset's
    # schema into `select` (a field the dataset lacks would make data-fair answer 400).
    columns: tuple[tuple[str, ...], ...] = ()
    # Without a schema in the dataset's metadata: select the first spellings (True) or ask for
    # every column (False, when the spelling is not known in advance).
    select_without_schema: bool = False
    bronze_name: str = ""  # file name in the run's bronze directory (without extension)

    @property
    def label(self) -> str:
        return self.pid.label


def resolve_select(
    columns: Sequence[Sequence[str]], schema_keys: Sequence[str] | None, *, blind: bool
) -> tuple[str, ...]:
    """The `select` of a partition: per column, the first spelling the dataset has."""
    if not columns:
        return ()
    if schema_keys is None:
        return tuple(spellings[0] for spellings in columns) if blind else ()
    known = set(schema_keys)
    chosen: list[str] = []
    for spellings in columns:
        hit = next((s for s in spellings if s in known), None)
        if hit is not None and hit not in chosen:
            chosen.append(hit)
    return tuple(chosen)


def departements_in_scope(departement: str | None) -> tuple[str, ...]:
    """One département, or all of them (a national fetch is one partition per département)."""
    if departement is None:
        return ALL_DEPARTEMENTS
    if departement not in ALL_DEPARTEMENTS:
        raise UsageError(
            f"Département {departement!r} is not served by the sources.",
            hint="Use 01…95, 2A, 2B or 971…974, 976.",
        )
    return (departement,)
