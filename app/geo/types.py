"""Value types of address resolution (the `location` object of API-CONTRACT.md).

NamedTuples (immutable, compared and hashed by value): they are built per answer, and unlike
dataclasses they do not make the batch command import `dataclasses` (and `inspect`) at start.
"""

from typing import Any, NamedTuple

from app.vocab import Resolution


class Province(NamedTuple):
    code: str  # two digits, today's official code, e.g. "01"
    name: str  # official name, e.g. "Thành phố Hà Nội"


class Ward(NamedTuple):
    code: str  # five digits, today's official code, e.g. "00070"
    name: str  # official name, e.g. "Phường Hoàn Kiếm"
    province_code: str


class Candidate(NamedTuple):
    ward_code: str
    ward_name: str


class Location(NamedTuple):
    resolution: Resolution
    province_code: str | None = None
    province_name: str | None = None
    ward_code: str | None = None
    ward_name: str | None = None
    ambiguous: bool = False
    candidates: tuple[Candidate, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "resolution": self.resolution,
            "province_code": self.province_code,
            "province_name": self.province_name,
            "ward_code": self.ward_code,
            "ward_name": self.ward_name,
            "ambiguous": self.ambiguous,
            "candidates": [
                {"ward_code": c.ward_code, "ward_name": c.ward_name} for c in self.candidates
            ],
        }


UNRESOLVED = Location(resolution="unresolved")
