"""The in-memory index of place names, built once per process from the packages' data.

Keys are folded names with the words joined ("Thạnh Thới An" -> "thanhthoian"), so spacing
variants ("Hanoi"/"Ha Noi", "Kon Tum"/"Kontum") meet. Diacritics are compared only to split
names that fold alike (Cẩm Giang / Cẩm Giàng), see `text.accent_words_of`.
"""

import json
import re
from dataclasses import dataclass
from functools import cache

from app.geo import source

# Unit-type words as the data spells them -> the marker kinds of `mentions`.
WARD_KIND = {"Xã": "xa", "Phường": "phuong", "Thị trấn": "thitran", "Đặc khu": "dackhu"}
DISTRICT_KIND = {"Quận": "quan", "Huyện": "huyen", "Thị xã": "thixa", "Thành phố": "city"}
# Keywords like "p13", "ward13", "quan02" name numbered units: keep the number alone.
_NUMBERED = re.compile(r"^(?:phuong|ward|p|f|xa|x|thitran|tt|quan|district|q|huyen|h)0*(\d+)$")
_TYPED = re.compile(r"^(xa|phuong|thitran|dackhu|quan|huyen|thixa|thanhpho|tinh)(.+)$")
# Names callers use that the data lacks (folded, spaced as written) -> a legacy province key.
EXTRA_PROVINCE_ALIASES = {
    "tphcm": "thanhphohochiminh",
    "hcmc": "thanhphohochiminh",
    "sai gon": "thanhphohochiminh",
    "thua thien hue": "thanhphohue",
    "ba ria": "tinhbariavungtau",
    "vung tau": "tinhbariavungtau",
    "br vt": "tinhbariavungtau",
    "dac lac": "tinhdaklak",
}


@dataclass(frozen=True, slots=True)
class ProvinceName:
    province_code: str
    old_province: str  # the legacy (63-era) province key the name denotes
    current: bool  # also the name of one of today's 34 provinces


@dataclass(frozen=True, slots=True)
class NewWard:
    code: str  # official code
    province_code: str
    kind: str
    short: str
    alias: bool


@dataclass(frozen=True, slots=True)
class OldDistrict:
    id: str  # "provincekey_districtkey"
    old_province: str
    province_code: str
    kind: str
    short: str
    alias: bool


@dataclass(frozen=True, slots=True)
class OldWard:
    id: str  # "provincekey_districtkey_wardkey", the converter's key
    district: str
    old_province: str
    province_code: str
    kind: str
    short: str
    alias: bool
    targets: tuple[str, ...]  # today's ward codes, the official default first


Names = dict[str, list[ProvinceName]]


@dataclass(frozen=True, slots=True)
class Index:
    provinces: Names
    new_wards: dict[str, dict[str, list[NewWard]]]  # province code -> key -> wards
    new_wards_all: dict[str, list[NewWard]]
    districts: dict[str, dict[str, list[OldDistrict]]]  # legacy province key -> key -> ...
    districts_all: dict[str, list[OldDistrict]]
    old_wards: dict[str, dict[str, list[OldWard]]]  # district id -> key -> wards
    old_provinces: dict[str, tuple[str, ...]]  # province code -> its legacy province keys
    island_targets: dict[str, str]  # island district id (it had no wards) -> today's ward
    keys: frozenset[str]
    splits: dict[str, frozenset[str]]  # key -> its names' spaced forms; "*" for glued aliases
    max_words: int
    centroids: tuple[tuple[str, str, float, float], ...]  # code, province code, lat, lon
    ward_names: dict[str, str]  # official code -> the data's official name
    ward_provinces: dict[str, str]  # official code -> province code


def strip_type(name: str, unit_type: str | None) -> str:
    if unit_type and name.startswith(unit_type + " "):
        return name[len(unit_type) + 1 :].strip()
    return name.strip()


def alias_keys(keywords: str | None, primary: str) -> set[str]:
    """The data's keyword aliases of a unit, minus typed forms of a key already kept."""
    if not keywords or len(keywords) < 5:
        return set()
    # A JSON list of plain ascii keys: splitting is several times faster than json.loads.
    raw = keywords[2:-2].split('", "') if "\\" not in keywords else json.loads(keywords)
    if len(raw) == 2 and primary in raw:  # most units: just ["xa<name>", "<name>"]
        typed = _TYPED.match(raw[0] if raw[1] == primary else raw[1])
        if typed and typed.group(2) == primary:
            return set()
    keys = {primary}
    for kw in raw:
        numbered = _NUMBERED.match(kw)
        keys.add(numbered.group(1) if numbered else kw)
    typed_forms = {kw for kw in keys if (m := _TYPED.match(kw)) and m.group(2) in keys}
    return keys - typed_forms - {primary}


@cache
def get() -> Index:
    """The index, built on first use (about 0.2 s) and kept for the process."""
    from app.geo.build import build  # build imports this module's types

    return build(*source.load_rows(), source.load_conversion())
