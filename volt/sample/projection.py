"""Official BAN projections for x/y, vectorised with one cached pyproj Transformer per CRS."""

from __future__ import annotations

from functools import cache

import numpy as np
from pyproj import Transformer

from volt.sample.departements import LAMBERT_93

WGS84 = 4326


@cache
def _to_crs(epsg: int) -> Transformer:
    return Transformer.from_crs(WGS84, epsg, always_xy=True)


@cache
def _lambert93_to_wgs84() -> Transformer:
    return Transformer.from_crs(LAMBERT_93, WGS84, always_xy=True)


def project(epsg: int, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y in the département's official CRS (Lambert-93, or the overseas UTM/RGAF systems)."""
    x, y = _to_crs(epsg).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def lambert93_inverse(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of x/y read as Lambert-93: what ADEME's `_geopoint` does, wrong overseas."""
    lon, lat = _lambert93_to_wgs84().transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
