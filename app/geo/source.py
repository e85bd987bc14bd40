"""Raw rows from the data files that `vietnamadminunits` ships (read-only, no network).

The package itself is never imported: its parsers compile very large regexes and pull in
geopy/shapely at import time, and its converter may call an online geocoder. We only read its
`data/dataset.db` (today's and the 63-province units, with centroids and keyword aliases) and
`data/converter_2025.json` (which legacy ward went into which new ward, with the official
default when a legacy ward was divided).
"""

import json
import sqlite3
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, NamedTuple


class NewRow(NamedTuple):
    province_key: str
    province_code: str
    province: str
    province_short: str
    ward_key: str
    ward: str
    ward_short: str
    ward_type: str
    ward_code: str
    lat: float
    lon: float
    keywords: str  # JSON list of folded keys, aliases included


class LegacyRow(NamedTuple):
    province_key: str
    province: str
    province_short: str
    province_keywords: str
    district_key: str
    district: str
    district_short: str
    district_type: str
    district_keywords: str
    ward_key: str | None  # None for island districts that had no wards
    ward: str | None
    ward_short: str | None
    ward_type: str | None
    ward_keywords: str | None


@dataclass(frozen=True, slots=True)
class Divided:
    new_ward_key: str
    is_default: bool


@dataclass(frozen=True, slots=True)
class Conversion:
    # new province key -> the legacy province keys merged into it
    provinces: dict[str, list[str]]
    # legacy "province_district_ward" key -> (new province key, new ward key), undivided wards
    whole: dict[str, tuple[str, str]]
    # legacy key -> (new province key, the new wards sharing it)
    divided: dict[str, tuple[str, list[Divided]]]


_NEW_SQL = (
    "SELECT provinceKey, provinceCode, province, provinceShort, wardKey, ward, wardShort,"
    " wardType, wardCode, wardLat, wardLon, wardKeywords FROM admin_units"
)
_LEGACY_SQL = (
    "SELECT provinceKey, province, provinceShort, provinceKeywords, districtKey, district,"
    " districtShort, districtType, districtKeywords, wardKey, ward, wardShort, wardType,"
    " wardKeywords FROM admin_units_legacy"
)


def data_dir() -> Path:
    spec = find_spec("vietnamadminunits")  # locates the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("vietnamadminunits is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load_rows() -> tuple[list[NewRow], list[LegacyRow]]:
    uri = f"{(data_dir() / 'dataset.db').as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        new = [NewRow._make(r) for r in conn.execute(_NEW_SQL)]
        legacy = [LegacyRow._make(r) for r in conn.execute(_LEGACY_SQL)]
    return new, legacy


def load_conversion() -> Conversion:
    with open(data_dir() / "converter_2025.json", encoding="utf-8") as f:
        raw: dict[str, Any] = json.load(f)
    whole = {
        old_key: (prov, new_ward)
        for prov, wards in raw["DICT_PROVINCE_WARD_NO_DIVIDED"].items()
        for new_ward, old_keys in wards.items()
        for old_key in old_keys
    }
    divided = {
        old_key: (prov, [Divided(e["newWardKey"], bool(e["isDefaultNewWard"])) for e in entries])
        for prov, olds in raw["DICT_PROVINCE_WARD_DIVIDED"].items()
        for old_key, entries in olds.items()
    }
    return Conversion(provinces=raw["DICT_PROVINCE"], whole=whole, divided=divided)
