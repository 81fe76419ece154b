"""Bodies of the building routes: a page of buildings, and the same figures as GeoJSON points."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from volt.api.data import DataRead
from volt.domain.privacy import Reason


class LabelCounts(BaseModel):
    """DPE per label, A (best) to G; every count null when suppressed (the same columns in
    every export row)."""

    A: int | None
    B: int | None
    C: int | None
    D: int | None
    E: int | None
    F: int | None
    G: int | None


EXAMPLE_BUILDING: dict[str, Any] = {
    "ban_id": "06029_0870_00012",
    "address": "12 Boulevard Carnot",
    "street_code": "06029_0870",
    "code_insee": "06029",
    "code_iris": "060290104",
    "year": 2023,
    "n_dwellings": 24,
    "metered_kwh_per_dwelling": 3150.0,
    "metered_kwh_m2": 52.5,
    "n_dpe": 9,
    "n_dpe_dwelling": 8,
    "mean_surface_m2": 60.0,
    "dpe_ef_kwh_m2": 171.3,
    "dpe_ep_kwh_m2": 224.8,
    "dpe_labels": {"A": 0, "B": 0, "C": 2, "D": 4, "E": 2, "F": 1, "G": 0},
    "ges_labels": {"A": 0, "B": 3, "C": 4, "D": 2, "E": 0, "F": 0, "G": 0},
    "dpe_labels_recomputed": {"A": 0, "B": 0, "C": 2, "D": 4, "E": 3, "F": 0, "G": 0},
    "building_label": "D",
    "share_electric_heating": 0.75,
    "is_electric_heating": True,
    "dpe_suppressed": False,
    "dpe_suppressed_reason": None,
    "geocode_method": "ban_file:exact",
    "geocode_score": 1.0,
    "lon": 7.02361,
    "lat": 43.55012,
}

DPE_NOTE = " Null when the DPE figures are suppressed (`dpe_suppressed`)."


class BuildingFigures(BaseModel):
    """What is published about one building (a BAN address Enedis publishes) in one year."""

    ban_id: str = Field(description="BAN interoperability key of the address.")
    address: str | None = Field(description="Number, repetition index and street name (BAN).")
    street_code: str | None = Field(description="`{insee}_{voie}`: the BAN key of the street.")
    code_insee: str | None = Field(description="INSEE code of the commune.")
    code_iris: str | None = Field(description="IRIS (9 characters) Enedis places it in.")
    year: int = Field(description="Enedis year of the metered consumption.")
    n_dwellings: int = Field(description="Residential delivery points Enedis counts (≥ 10).")
    metered_kwh_per_dwelling: float | None = Field(
        description="Metered electricity per dwelling, kWh/yr (all uses, not climate-corrected)."
    )
    metered_kwh_m2: float | None = Field(
        description="Metered kWh per dwelling ÷ the mean DPE surface at the address." + DPE_NOTE
    )
    n_dpe: int = Field(description="DPE at the address (dwelling and whole-building ones).")
    n_dpe_dwelling: int = Field(description="Dwelling DPE (apartment or house) at the address.")
    mean_surface_m2: float | None = Field(
        description="Mean surface of the dwelling DPE, m²." + DPE_NOTE
    )
    dpe_ef_kwh_m2: float | None = Field(
        description="Surface-weighted DPE final energy, kWh/m²/yr (five uses)." + DPE_NOTE
    )
    dpe_ep_kwh_m2: float | None = Field(
        description="Surface-weighted DPE primary energy, kWh/m²/yr." + DPE_NOTE
    )
    dpe_labels: LabelCounts = Field(description="DPE per published label." + DPE_NOTE)
    ges_labels: LabelCounts = Field(description="DPE per GES label." + DPE_NOTE)
    dpe_labels_recomputed: LabelCounts = Field(
        description="DPE per label recomputed under today's rules." + DPE_NOTE
    )
    building_label: str | None = Field(
        description="Most frequent label of the dwelling DPE (ties: the worse)." + DPE_NOTE
    )
    share_electric_heating: float | None = Field(
        description="Share of the dwelling DPE heated by electricity." + DPE_NOTE
    )
    is_electric_heating: bool | None = Field(
        description="Half or more of the dwelling DPE heat with electricity." + DPE_NOTE
    )
    dpe_suppressed: bool = Field(
        description="The DPE figures are withheld (privacy: too few DPE, or complementary)."
    )
    dpe_suppressed_reason: Reason | None = Field(
        description=(
            "`below_min_dpe`: built from fewer DPE than the minimum; `complementary`: withheld "
            "so that an area total minus its published buildings reveals no other building."
        )
    )
    geocode_method: str | None = Field(description="How the Enedis address was matched to BAN.")
    geocode_score: float | None = Field(description="Score of the weakest match (0–1).")


class BuildingRead(BuildingFigures):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_BUILDING]})

    lon: float | None = Field(description="Longitude of the BAN address point (WGS 84).")
    lat: float | None = Field(description="Latitude of the BAN address point (WGS 84).")


class BuildingPage(DataRead):
    """A page of buildings in ban_id order; pass `next` as `after` for the following one."""

    year: int | None = Field(description="The year served (latest with data when not asked).")
    items: list[BuildingRead]
    next: str | None = Field(
        description="Cursor of the next page (pass it as `after`); null on the last page.",
        examples=["06029_0870_00014"],
    )


class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(
        description="[longitude, latitude] of the BAN address point.", examples=[[7.0236, 43.55]]
    )


class BuildingFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str = Field(description="The BAN id.", examples=["06029_0870_00012"])
    geometry: PointGeometry
    properties: BuildingFigures


class BuildingFeatureCollection(DataRead):
    """GeoJSON (RFC 7946) FeatureCollection; `data_version`, `sources`, `year` and `next` are
    foreign members. `next` comes last (the `Link` header is read from it)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    year: int | None = Field(description="The year served (latest with data when not asked).")
    features: list[BuildingFeature]
    next: str | None = Field(
        description="Cursor of the next page (pass it as `after`); also in the `Link` header.",
        examples=["06029_0870_00014"],
    )
