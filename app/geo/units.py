"""Today's official units (34 provinces, 3,321 communes) from the `vietnam-provinces` package."""

import json
from functools import cache

from vietnam_provinces import FLAT_DIVISIONS_JSON_PATH

from app.geo.types import Province, Ward


@cache
def _load() -> tuple[dict[str, Province], dict[str, Ward]]:
    from vietnam_provinces.lookup import PROVINCE_MAPPING

    code_by_codename = {p.codename: f"{int(p.code):02d}" for p in PROVINCE_MAPPING.values()}
    provinces = {
        f"{int(p.code):02d}": Province(code=f"{int(p.code):02d}", name=p.name)
        for p in PROVINCE_MAPPING.values()
    }
    with open(FLAT_DIVISIONS_JSON_PATH, encoding="utf-8") as f:
        rows = json.load(f)
    wards = {
        f"{row['code']:05d}": Ward(
            code=f"{row['code']:05d}",
            name=row["name"],
            province_code=code_by_codename[row["province_codename"]],
        )
        for row in rows
    }
    return dict(sorted(provinces.items())), dict(sorted(wards.items()))


def provinces() -> dict[str, Province]:
    """Province code -> Province, sorted by code."""
    return _load()[0]


def wards() -> dict[str, Ward]:
    """Ward code -> Ward, sorted by code."""
    return _load()[1]


def province(code: str) -> Province | None:
    return provinces().get(code)


def ward(code: str) -> Ward | None:
    return wards().get(code)


def official_wards() -> dict[str, Ward]:
    """Today's wards keyed by their official codes. The package above carries the draft code
    list for 123 wards (see app/geo/codes.py): the directory, validation and answers use these."""
    from app.geo import codes

    return codes.official_wards()


def official_ward(code: str) -> Ward | None:
    """A ward code of either list (official or the package's draft), read as today's ward."""
    from app.geo import codes

    official = codes.read(code)
    return codes.official_wards().get(official) if official else None
