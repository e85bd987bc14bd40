"""`resolve`: the order of evidence (ward code, address text, coordinates, province code)."""

import math
from functools import lru_cache

from app.geo import codes, index, nearest
from app.geo.interpret import interpret
from app.geo.mentions import scan
from app.geo.pick import Found
from app.geo.text import MAX_CHARS
from app.geo.types import UNRESOLVED, Candidate, Location
from app.vocab import Resolution


@lru_cache(maxsize=1 << 13)  # answers recur: a ward's is built once
def _ward_location(
    resolution: Resolution, wards: tuple[str, ...], ambiguous: bool = False
) -> Location:
    ix = index.get()
    first, others = wards[0], wards[1:]
    province_code = ix.ward_provinces[first]
    names = ix.display_wards  # what codes.ward_name gives
    return Location(
        resolution,
        province_code,
        ix.display_provinces.get(province_code),  # codes.province_name
        codes.output(first),
        names[first],
        ambiguous,
        tuple([Candidate(codes.output(c), names[c]) for c in others]) if others else (),
    )


@lru_cache(maxsize=64)
def _province_location(province_code: str) -> Location:
    return Location("province_only", province_code, codes.province_name(province_code))


def _text(address: object, hint: str | None) -> Found | None:
    if not isinstance(address, str) or not address.strip():
        return None
    found = interpret(*scan(address), hint)
    if found.resolution == "unresolved" and len(address) > MAX_CHARS:
        # Units come last in an address, so the tail is read; a long note may start with it.
        found = interpret(*scan(address, head=True), hint)
    return found


def _point(lat: object, lon: object) -> tuple[float, float] | None:
    if isinstance(lat, bool) or isinstance(lon, bool):
        return None
    if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
        return None
    return (float(lat), float(lon)) if math.isfinite(lat) and math.isfinite(lon) else None


def _resolve(
    address: str | None,
    province_code: str | None,
    ward_code: str | None,
    lat: float | None,
    lon: float | None,
) -> Location:
    ix = index.get()
    official = codes.read(ward_code) if isinstance(ward_code, str) else None
    if official:  # a valid ward code wins, even over a province_code that disagrees
        return _ward_location("exact", (official,))
    hint = (
        province_code
        if isinstance(province_code, str) and province_code in ix.old_provinces
        else None
    )
    found = _text(address, hint)
    if found and found.wards:
        return _ward_location(found.resolution, found.wards, found.ambiguous)
    province = found.province_code if found and found.province_code else hint
    point = _point(lat, lon)
    near = nearest.nearest(*point, province) if point else None
    if near:
        return _ward_location("coordinates", (near,))
    return _province_location(province) if province else UNRESOLVED


def resolve(
    *,
    address: str | None = None,
    province_code: str | None = None,
    ward_code: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> Location:
    """Today's unit for what a caller gave. Priority: a valid ward code (`exact`; its province
    wins over a disagreeing `province_code`), then the address text (searched inside
    `province_code` when given), then the nearest ward centroid to lat/lon (inside the province
    when known: `coordinates`), then the province code alone (`province_only`), else
    `unresolved`. Pure: no I/O after the one-time index load; never raises on bad input."""
    try:
        return _resolve(address, province_code, ward_code, lat, lon)
    except Exception:  # a resolver bug must not lose a child-protection report: route manually
        import logging  # imported here: the batch command starts faster without it

        logging.getLogger(__name__).exception("geo.resolve failed; returning unresolved")
        return UNRESOLVED


def warm() -> None:
    """Build the index and code tables now (about 0.3 s) rather than on the first request."""
    codes.ward_name(next(iter(index.get().ward_names)))


def resolve_address(text: str) -> Location:
    """Today's unit named by an address alone."""
    return resolve(address=text)
