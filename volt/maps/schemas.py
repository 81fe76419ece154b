"""Bodies of the area map layer: a GeoJSON FeatureCollection of area centroids."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from volt.api.data import DataRead


class AreaLevel(StrEnum):
    STREET = "street"
    IRIS = "iris"
    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"
    FRANCE = "france"

    @property
    def parent(self) -> AreaLevel | None:
        """The level of `areas.parent_code` (the `parent` filter); France has none."""
        return _PARENTS.get(self)


_PARENTS = {
    AreaLevel.STREET: AreaLevel.COMMUNE,
    AreaLevel.IRIS: AreaLevel.COMMUNE,
    AreaLevel.COMMUNE: AreaLevel.EPCI,
    AreaLevel.EPCI: AreaLevel.DEPARTEMENT,
    AreaLevel.DEPARTEMENT: AreaLevel.REGION,
    AreaLevel.REGION: AreaLevel.FRANCE,
}

EXAMPLE_AREA: dict[str, Any] = {
    "level": "commune",
    "code": "06029",
    "name": "Cannes",
    "parent_level": "epci",
    "parent_code": "200039915",
    "year": 2023,
    "n_buildings": 412,
    "n_dwellings": 18250,
    "n_dpe": 5120,
    "n_dpe_dwelling": 4980,
    "metered_kwh_per_dwelling_median": 3420.5,
    "dpe_ef_kwh_m2_median": 182.0,
    "dpe_ep_kwh_m2_median": 251.3,
    "metered_suppressed": False,
    "dpe_suppressed": False,
}


class AreaFigures(BaseModel):
    """An area's counts and medians; figures from too few dwellings or DPE are null."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_AREA]})

    level: AreaLevel
    code: str = Field(description="Street code, IRIS, INSEE, EPCI SIREN, département, région.")
    name: str | None = Field(description="Street, IRIS or commune name (none for larger ones).")
    parent_level: AreaLevel | None
    parent_code: str | None = Field(description="The area above (where most dwellings are).")
    year: int = Field(description="Enedis year.")
    n_buildings: int = Field(description="Addresses Enedis publishes (≥ 10 dwellings each).")
    n_dwellings: int = Field(description="Dwellings Enedis meters at those addresses.")
    n_dpe: int = Field(description="DPE at those addresses (dwelling and whole-building).")
    n_dpe_dwelling: int = Field(description="Dwelling DPE (behind the per-m² figures).")
    metered_kwh_per_dwelling_median: float | None = Field(
        description="Median over buildings of the metered kWh per dwelling (null if suppressed)."
    )
    dpe_ef_kwh_m2_median: float | None = Field(
        description="Median DPE final energy of the dwelling DPE, kWh/m²/yr (null if suppressed)."
    )
    dpe_ep_kwh_m2_median: float | None = Field(
        description="Median DPE primary energy of the dwelling DPE, kWh/m²/yr (null if suppressed)."
    )
    metered_suppressed: bool = Field(description="Fewer dwellings than the minimum (default 10).")
    dpe_suppressed: bool = Field(description="Fewer dwelling DPE than the minimum (default 5).")


class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(
        description="[longitude, latitude]: the dwelling-weighted centre (communes: the BAN "
        "centre).",
        examples=[[7.0174, 43.5528]],
    )


class AreaFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str = Field(description="The area code.", examples=["06029"])
    geometry: PointGeometry | None = Field(description="Null when no point is known.")
    properties: AreaFigures


class AreaFeatureCollection(DataRead):
    """GeoJSON (RFC 7946) FeatureCollection; `data_version`, `sources`, `level`, `year` and
    `next` are foreign members. `next` comes last (the `Link` header is read from it)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    level: AreaLevel
    year: int | None = Field(description="The year served (latest with data when not asked).")
    features: list[AreaFeature]
    next: str | None = Field(
        description="Cursor of the next page (pass it as `after`); also in the `Link` header.",
        examples=["06032"],
    )
