"""Enedis adapter: the partitions (year × département) of a scope, on data-fair or Explore.

Without a year, one partition per département holds every year the API has.
"""

from __future__ import annotations

from volt.etl.sources.api.config import ApiConfig
from volt.etl.sources.api.explore import where_clause
from volt.etl.sources.api.partitions import PartitionId, PartitionState
from volt.etl.sources.api.plan import PartitionRequest, departements_in_scope
from volt.etl.sources.registry import source_spec


def enedis_requests(
    config: ApiConfig,
    *,
    year: int | None,
    departement: str | None,
    page_size: int | None = None,
) -> list[PartitionRequest]:
    """One request per département (and year, when given), for the API the config chose."""
    spec = source_spec("enedis").settings
    dataset = str(spec["dataset_id"])
    size = page_size or int(spec["page_size"])
    requests = []
    for dep in departements_in_scope(departement):
        fields = {str(spec["filter_departement"]): dep}
        if year is not None:
            fields = {str(spec["filter_year"]): str(year), **fields}
        key = (f"annee-{year}_" if year is not None else "") + f"dep-{dep}"
        pid = PartitionId("enedis", dataset, key)
        if config.enedis_api == "explore":
            requests.append(_explore(config, pid, fields))
        else:
            requests.append(_data_fair(config, pid, fields, size))
    return requests


def _data_fair(
    config: ApiConfig, pid: PartitionId, fields: dict[str, str], size: int
) -> PartitionRequest:
    spec = source_spec("enedis")
    base = config.enedis_root + str(spec.settings["data_fair_path"]).format(dataset_id=pid.dataset)
    state = PartitionState(
        api="data-fair",
        dataset=pid.dataset,
        url=base + "/lines",
        filters={f"{name}_eq": value for name, value in fields.items()},
        page_size=size,
    )
    # Trap: data-fair spells two columns `..._de_ladresse_mwh`; the schema says which spelling
    # this dataset has, and without it every column is asked for (they are all used anyway).
    columns = tuple((c.name, *c.aliases) for c in spec.columns.values())
    return PartitionRequest(
        pid=pid,
        kind="data-fair",
        state=state,
        probe_url=base,
        columns=columns,
        select_without_schema=False,
        bronze_name=f"{pid.dataset}--{pid.key}",
    )


def _explore(config: ApiConfig, pid: PartitionId, fields: dict[str, str]) -> PartitionRequest:
    spec = source_spec("enedis")
    base = config.enedis_root + str(spec.settings["explore_path"]).format(dataset_id=pid.dataset)
    state = PartitionState(
        api="explore",
        dataset=pid.dataset,
        url=base + "/exports/csv",
        filters={
            "where": where_clause(fields, date_fields={str(spec.settings["filter_year"])}),
            "delimiter": ";",
        },
    )
    return PartitionRequest(
        pid=pid,
        kind="explore",
        state=state,
        probe_url=base,
        bronze_name=f"{pid.dataset}--{pid.key}",
    )
