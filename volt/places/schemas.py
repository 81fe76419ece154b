"""Bodies of the place routes: search hits, one commune, a page of communes.

A commune's counts are those `GET /v1/stats/commune` publishes (the count metrics of
volt.domain.metrics, always published, DESIGN §3); its suppressed figures — label distributions
among them — are only served by the statistics routes its `links` name, so that one set of
suppression rules decides them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from volt.api.data import DataRead
from volt.domain.metrics import BY_SLUG

# Codes as text, as the database CHECKs them (migration 0002): 5 digits, or 2A/2B + 3 digits.
INSEE_PATTERN = r"^([0-9]{5}|2[AB][0-9]{3})$"
# Départements 01…95 (no 20: Corsica is 2A/2B), and the overseas 971…978 the database accepts.
DEPARTEMENT_PATTERN = r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-8])$"

_SOURCES: JsonDict = {"ban": "2026-10-01", "dpe": "2026-11-02", "enedis": "2026-06-30"}
_VERSION = "c87c3d40a33b6c0e"


class PlaceType(StrEnum):
    COMMUNE = "commune"
    STREET = "street"
    ADDRESS = "address"


class CommuneRef(BaseModel):
    code_insee: str = Field(examples=["06029"])
    nom: str | None = Field(examples=["Cannes"])


class PlaceHit(BaseModel):
    type: PlaceType = Field(description="What the hit is.")
    code: str = Field(
        description=(
            "INSEE code (commune), street code `{insee}_{voie}` (street) or BAN id (address)."
        ),
        examples=["06029_0460"],
    )
    name: str = Field(examples=["Boulevard Carnot"])
    commune: CommuneRef | None = Field(description="The commune the place lies in.")
    summary: str = Field(
        description="One line for a result list, built from the published figures.",
        examples=["Street in Cannes — 3 buildings"],
    )
    score: float = Field(
        description="Trigram similarity of the query and the place's name (0–1).", examples=[1.0]
    )


class PlaceSearchRead(DataRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data_version": _VERSION,
                    "sources": _SOURCES,
                    "query": "boulevard carnot cannes",
                    "items": [
                        {
                            "type": "street",
                            "code": "06029_0460",
                            "name": "Boulevard Carnot",
                            "commune": {"code_insee": "06029", "nom": "Cannes"},
                            "summary": "Street in Cannes — 3 buildings",
                            "score": 1.0,
                        },
                        {
                            "type": "address",
                            "code": "06029_0460_00012",
                            "name": "12 Boulevard Carnot",
                            "commune": {"code_insee": "06029", "nom": "Cannes"},
                            "summary": "Address in Cannes — 54 dwellings, DPE label D",
                            "score": 0.846,
                        },
                    ],
                }
            ]
        }
    )

    query: str = Field(
        description="The text searched: accents and punctuation folded, abbreviations expanded.",
        examples=["boulevard carnot cannes"],
    )
    items: list[PlaceHit] = Field(
        description=(
            "Best first: exact names, then names starting with the query, then names holding it "
            "as a word, then the closest spellings; communes before streets before addresses "
            "when equally close."
        )
    )


def _count(column: str, example: int) -> Any:
    """A count field documented by the metric registry, as GET /v1/metrics describes it."""
    return Field(description=BY_SLUG[column].description, examples=[example])


class CommuneCounts(BaseModel):
    """The counts behind the commune's figures, always published: the same names and values as
    the commune's `counts` in `GET /v1/stats/commune` for that year (0 where there is none)."""

    model_config = ConfigDict(extra="forbid")  # a count the registry adds must be added here

    n_buildings: int = _count("n_buildings", 41)
    n_dwellings: int = _count("n_dwellings", 1234)
    n_dpe: int = _count("n_dpe", 40)
    n_dpe_dwelling: int = _count("n_dpe_dwelling", 38)
    elec_n_buildings: int = _count("elec_n_buildings", 9)
    elec_n_dwellings: int = _count("elec_n_dwellings", 310)
    elec_n_dpe: int = _count("elec_n_dpe", 12)


class CommuneFigures(BaseModel):
    annee: int | None = Field(
        description=(
            "The latest Enedis year with figures for this commune; null when Enedis publishes "
            "no address there (every count is then 0)."
        ),
        examples=[2023],
    )
    counts: CommuneCounts


class CommuneLinks(BaseModel):
    """The commune's statistics for the year of its figures; null when it has none (no year)."""

    stats: str | None = Field(
        description="Its counts and metrics: GET /v1/stats/commune?code=…&year=….",
        examples=["/v1/stats/commune?code=06029&year=2023"],
    )
    labels: str | None = Field(
        description="Its DPE and GES label distributions, suppressed consistently with its "
        "neighbours': GET /v1/stats/commune/{code}/labels.",
        examples=["/v1/stats/commune/06029/labels?year=2023"],
    )
    dpe_vs_metered: str | None = Field(
        description="DPE vs metered electricity per label: "
        "GET /v1/stats/commune/{code}/dpe-vs-metered.",
        examples=["/v1/stats/commune/06029/dpe-vs-metered?year=2023"],
    )


class CommuneBase(BaseModel):
    code_insee: str = Field(examples=["06029"])
    nom: str | None = Field(examples=["Cannes"])
    code_departement: str | None = Field(examples=["06"])
    code_region: str | None = Field(examples=["93"])
    code_epci: str | None = Field(examples=["200039915"])
    nom_epci: str | None = Field(examples=["CA Cannes Pays de Lérins"])
    lon: float | None = Field(description="Centroid longitude (WGS 84).", examples=[7.0128])
    lat: float | None = Field(description="Centroid latitude (WGS 84).", examples=[43.5513])


class CommuneListItem(CommuneBase):
    figures: CommuneFigures
    links: CommuneLinks


_COMMUNE_EXAMPLE: JsonDict = {
    "code_insee": "06029",
    "nom": "Cannes",
    "code_departement": "06",
    "code_region": "93",
    "code_epci": "200039915",
    "nom_epci": "CA Cannes Pays de Lérins",
    "lon": 7.0128,
    "lat": 43.5513,
    "figures": {
        "annee": 2023,
        "counts": {
            "n_buildings": 41,
            "n_dwellings": 1234,
            "n_dpe": 40,
            "n_dpe_dwelling": 38,
            "elec_n_buildings": 9,
            "elec_n_dwellings": 310,
            "elec_n_dpe": 12,
        },
    },
    "links": {
        "stats": "/v1/stats/commune?code=06029&year=2023",
        "labels": "/v1/stats/commune/06029/labels?year=2023",
        "dpe_vs_metered": "/v1/stats/commune/06029/dpe-vs-metered?year=2023",
    },
}


_READ_EXAMPLE: JsonDict = {"data_version": _VERSION, "sources": _SOURCES, **_COMMUNE_EXAMPLE}


class CommuneRead(CommuneListItem, DataRead):
    model_config = ConfigDict(json_schema_extra={"examples": [_READ_EXAMPLE]})


class CommunePage(DataRead):
    items: list[CommuneListItem]
    next: str | None = Field(
        description="Cursor of the next page (pass it as `after`); null on the last page.",
        examples=["06030"],
    )
