"""Nearest ward centroid to a point (approximate: centroids, not boundaries)."""

import math
from typing import Final

from app.geo import index

# Mainland and near-shore islands; the far archipelagos are accepted near their own centroids.
_LAT: Final = (8.0, 23.5)
_LON: Final = (102.0, 110.0)
# Farther than this from every centroid is open sea or abroad. Inside Vietnam the nearest
# centroid is within about 20 km even in the largest mountain communes.
MAX_KM: Final = 35.0
_EARTH_KM: Final = 6371.0


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Equirectangular: at these distances the error is far below a commune's size.
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return _EARTH_KM * math.hypot(x, y)


def usable(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def nearest(lat: float, lon: float, province_code: str | None = None) -> str | None:
    """Official code of the ward whose centroid is nearest, within MAX_KM, else None."""
    if not usable(lat, lon):
        return None
    best_code, best_km = None, MAX_KM
    for code, prov, clat, clon in index.get().centroids:
        if province_code and prov != province_code:
            continue
        if abs(clat - lat) > 1.0:  # cheap reject: over 110 km north or south
            continue
        km = _km(lat, lon, clat, clon)
        if km < best_km:
            best_code, best_km = code, km
    inside = _LAT[0] <= lat <= _LAT[1] and _LON[0] <= lon <= _LON[1]
    if best_code is None or (not inside and best_km > MAX_KM / 2):
        return None  # outside the mainland box only islands close to their centroid count
    return best_code
