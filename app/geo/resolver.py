"""`resolve`: the order of evidence (ward code, address text, coordinates, province code)."""

import math
from functools import lru_cache
from typing import Final, NamedTuple

from app.geo import codes, index, nearest
from app.geo.interpret import interpret
from app.geo.mentions import Mention, scan
from app.geo.pick import Found
from app.geo.text import MAX_CHARS, Token
from app.geo.types import UNRESOLVED, Candidate, Location
from app.vocab import Resolution


class Answer(NamedTuple):
    """What `resolve` found, before codes and names are filled in. Hashable: answers recur (a
    ward's is the same each time), so each is made into its `Location` once (`location_of`),
    and the batch command writes each one's JSON once."""

    resolution: Resolution
    wards: tuple[str, ...] = ()  # official codes, the chosen one first
    ambiguous: bool = False
    province_code: str | None = None  # of a province-only answer (a ward's comes from it)


NOTHING: Final = Answer("unresolved")


@lru_cache(maxsize=1 << 13)
def location_of(answer: Answer) -> Location:
    """The location object of an answer (cached: answers recur)."""
    return make_location(answer)


def make_location(answer: Answer) -> Location:
    """The location object of an answer: its codes and names looked up."""
    if answer.wards:
        return _ward_location(answer.resolution, answer.wards, answer.ambiguous)
    if answer.province_code:
        return Location(
            "province_only", answer.province_code, codes.province_name(answer.province_code)
        )
    return UNRESOLVED


def _ward_location(resolution: Resolution, wards: tuple[str, ...], ambiguous: bool) -> Location:
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


Scanned = tuple[list[Token], list[Mention]]


def read_address(address: str) -> Scanned | None:
    """What `answer` reads of an address first (`mentions.scan`), for a batch to read all its
    addresses before answering them: the scanner's tables, then the interpreter's, stay in the
    processor's caches (about a tenth faster than address by address). None if there is no
    text to read, or reading it fails (`answer` then reads it again, and reports)."""
    if not address or address.isspace():
        return None
    try:
        return scan(address)
    except Exception:
        return None


def _text(address: object, hint: str | None, scanned: Scanned | None) -> Found | None:
    if not isinstance(address, str) or not address or address.isspace():  # nothing to read
        return None
    found = interpret(*(scan(address) if scanned is None else scanned), hint)
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
    scanned: Scanned | None,
) -> Answer:
    ix = index.get()
    official = codes.read(ward_code) if isinstance(ward_code, str) else None
    if official:  # a valid ward code wins, even over a province_code that disagrees
        return Answer("exact", (official,))
    hint = (
        province_code
        if isinstance(province_code, str) and province_code in ix.old_provinces
        else None
    )
    found = _text(address, hint, scanned)
    if found and found.wards:
        return Answer(found.resolution, found.wards, found.ambiguous)
    province = found.province_code if found and found.province_code else hint
    point = _point(lat, lon)
    near = nearest.nearest(*point, province) if point else None
    if near:
        return Answer("coordinates", (near,))
    return Answer("province_only", province_code=province) if province else NOTHING


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
    return location_of(answer(address, province_code, ward_code, lat, lon))


def answer(
    address: str | None = None,
    province_code: str | None = None,
    ward_code: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    scanned: Scanned | None = None,
) -> Answer:
    """`resolve`'s answer before its location object is made (see `Answer`); `scanned`, if
    given, is `read_address(address)`."""
    try:
        return _resolve(address, province_code, ward_code, lat, lon, scanned)
    except Exception:  # a resolver bug must not lose a child-protection report: route manually
        import logging  # imported here: the batch command starts faster without it

        logging.getLogger(__name__).exception("geo.resolve failed; returning unresolved")
        return NOTHING


def warm() -> None:
    """Build the index and code tables now (about 0.3 s) rather than on the first request."""
    codes.ward_name(next(iter(index.get().ward_names)))


def resolve_address(text: str) -> Location:
    """Today's unit named by an address alone."""
    return resolve(address=text)
