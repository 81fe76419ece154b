"""Geocoding of Enedis addresses to BAN ids: a chain of geocoders, the BAN file first."""

from volt.etl.geocode.ban_file import BanFileGeocoder
from volt.etl.geocode.base import Geocoder, run_chain
from volt.etl.geocode.report import DepartementRate, GeocodeReport
from volt.etl.geocode.stage import geocode_enedis

__all__ = [
    "BanFileGeocoder",
    "DepartementRate",
    "GeocodeReport",
    "Geocoder",
    "geocode_enedis",
    "run_chain",
]
