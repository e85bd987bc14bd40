"""The in-memory index of place names, loaded once per process.

Keys are folded names with the words joined ("Thạnh Thới An" -> "thanhthoian"), so spacing
variants ("Hanoi"/"Ha Noi", "Kon Tum"/"Kontum") meet. Diacritics are compared only to split
names that fold alike (Cẩm Giang / Cẩm Giàng), see `text.accent_words_of`. The file also
carries the tokens of the names' words and the diacritics of the names, worked out (handed to
`text.know`), so that requests seldom work them out.

The index is derived from the packages' data by `app.geo.build` and kept, precomputed, in
`index.marshal` beside this module (`python -m app.geo.build` writes it; a test fails when it
differs from what the installed packages give). Loading it takes about twenty milliseconds,
the legacy wards' tables included, ready-made; when it is
missing, unreadable or was made from data files of other sizes than the installed ones, the
index is built from the packages' data instead (about half a second), so a stale file is never
used silently.
"""

import gc
import marshal
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib.util import find_spec
from typing import Any, Final, NamedTuple, TypeVar

from app.geo import text  # text imports nothing of app.geo

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

# The precomputed index, and the data files it is made from: (package, path in the package).
FILE: Final = os.path.join(os.path.dirname(__file__), "index.marshal")
FORMAT: Final = 3
SOURCES: Final = (
    ("vietnamadminunits", "data/dataset.db"),
    ("vietnamadminunits", "data/converter_2025.json"),
    ("vietnam_provinces", "data/flat-divisions.json"),
)


# NamedTuples: built from the file's plain tuples in one C call each.
class ProvinceName(NamedTuple):
    province_code: str
    old_province: str  # the legacy (63-era) province key the name denotes
    current: bool  # also the name of one of today's 34 provinces


class NewWard(NamedTuple):
    code: str  # official code
    province_code: str
    kind: str
    short: str
    alias: bool


class OldDistrict(NamedTuple):
    id: str  # "provincekey_districtkey"
    old_province: str
    province_code: str
    kind: str
    short: str
    alias: bool


class OldWard(NamedTuple):
    short: str
    kind: str
    alias: bool
    targets: tuple[str, ...]  # today's ward codes, the official default first
    province_code: str
    district: str  # "provincekey_districtkey"


Names = dict[str, list[ProvinceName]]
WardTable = Mapping[str, Sequence[OldWard]]


class OldWards:
    """Legacy wards by district, and merged by legacy province (on first use: a request
    touches one or two of the 63) or over the whole country."""

    def __init__(
        self, districts: dict[str, WardTable], everywhere: dict[str, tuple[str, ...]]
    ) -> None:
        self._districts = districts  # "provincekey_districtkey" -> key -> wards, by district id
        self._provinces: dict[str, WardTable] = {}
        self._everywhere = Everywhere(self, everywhere)
        self._province_districts: dict[str, list[WardTable]] = {}
        for district, table in districts.items():
            self._province_districts.setdefault(district.split("_", 1)[0], []).append(table)

    def _merge(self, old_province: str) -> WardTable:
        merged: dict[str, list[OldWard]] = {}
        for table in self._province_districts[old_province]:  # in order of district id
            for key, wards in table.items():
                merged.setdefault(key, []).extend(wards)
        self._provinces[old_province] = merged
        return merged

    def district(self, district: str) -> WardTable:
        """Key -> wards of one district ("provincekey_districtkey"); empty if it had none."""
        return self._districts.get(district, {})

    def province(self, old_province: str) -> WardTable:
        """Key -> wards of a legacy province, its districts in order of id."""
        table = self._provinces.get(old_province)
        if table is None:
            known = old_province in self._province_districts
            table = self._merge(old_province) if known else {}
        return table

    def everywhere(self) -> "Everywhere":
        """Key -> wards of every legacy province, the provinces in order of key."""
        return self._everywhere

    def all(self) -> dict[str, WardTable]:
        """Every district's table (for tests and tools)."""
        return dict(self._districts)


class Everywhere(Mapping[str, Sequence[OldWard]]):
    def __init__(self, wards: OldWards, provinces: dict[str, tuple[str, ...]]) -> None:
        self._wards = wards
        self._provinces = provinces  # key -> the legacy provinces that have a ward so named
        self._merged: dict[str, list[OldWard]] = {}

    def __getitem__(self, key: str) -> list[OldWard]:
        merged = self._merged.get(key)
        if merged is None:
            merged = [w for o in self._provinces[key] for w in self._wards.province(o)[key]]
            self._merged[key] = merged
        return merged

    def __contains__(self, key: object) -> bool:
        return key in self._provinces

    def __iter__(self) -> Iterator[str]:
        return iter(self._provinces)

    def __len__(self) -> int:
        return len(self._provinces)


class Index(NamedTuple):
    provinces: Names
    new_wards: dict[str, dict[str, list[NewWard]]]  # province code -> key -> wards
    new_wards_all: dict[str, list[NewWard]]
    districts: dict[str, dict[str, list[OldDistrict]]]  # legacy province key -> key -> ...
    districts_all: dict[str, list[OldDistrict]]
    old_wards: OldWards  # legacy wards by district, legacy province, or everywhere
    old_provinces: dict[str, tuple[str, ...]]  # province code -> its legacy province keys
    island_targets: dict[str, str]  # island district id (it had no wards) -> today's ward
    # key -> its names' spaced forms ("*" for glued aliases); and () for joined words that
    # only start longer names: where a multi-word search may go on
    names: dict[str, tuple[str, ...]]
    max_words: int
    centroids: tuple[tuple[str, str, float, float], ...]  # code, province code, lat, lon
    ward_names: dict[str, str]  # official code -> the data's official name
    ward_provinces: dict[str, str]  # official code -> province code
    # What `codes` hands out: names as `app/geo/units.py` spells them, package codes.
    display_wards: dict[str, str]  # official code -> the name in `units.py`
    display_provinces: dict[str, str]  # province code -> the name in `units.py`
    to_package: dict[str, str]  # official code -> the `vietnam-provinces` package's code


def strip_type(name: str, unit_type: str | None) -> str:
    if unit_type and name.startswith(unit_type + " "):
        return name[len(unit_type) + 1 :].strip()
    return name.strip()


def alias_keys(keywords: str | None, primary: str) -> set[str]:
    """The data's keyword aliases of a unit, minus typed forms of a key already kept."""
    if not keywords or len(keywords) < 5:
        return set()
    import json  # only the build reads keywords; json is imported by callers anyway

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


def source_paths() -> list[str]:
    """The installed data files the index is made from (the packages are not imported)."""
    paths = []
    for package, relative in SOURCES:
        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"{package} is not installed")
        paths.append(os.path.join(next(iter(spec.submodule_search_locations)), relative))
    return paths


def source_sizes() -> list[int]:
    return [os.stat(p).st_size for p in source_paths()]


U = TypeVar("U")


def _by_key(units: list[U], positions: dict[str, int | list[int]]) -> dict[str, list[U]]:
    """Key -> the units at its positions: one position alone (most keys name one unit),
    several in a list (see `app.geo.build`)."""
    return {
        key: [units[p]] if isinstance(p, int) else [units[i] for i in p]
        for key, p in positions.items()
    }


def from_tables(tables: dict[str, Any]) -> Index:
    """The index from the plain tables of `app.geo.build.tables` (as stored in the file)."""
    new = tuple.__new__
    wards = [new(NewWard, w) for w in tables["new_wards"]]
    text.know(tables["words"], tables["name_accents"])
    districts = [new(OldDistrict, d) for d in tables["districts"]]
    old_wards = [new(OldWard, w) for w in tables["old_wards"]]
    return Index(
        provinces={
            k: [new(ProvinceName, p) for p in names] for k, names in tables["provinces"].items()
        },
        new_wards={code: _by_key(wards, t) for code, t in tables["new_ward_keys"].items()},
        new_wards_all=_by_key(wards, tables["new_ward_keys_all"]),
        districts={o: _by_key(districts, t) for o, t in tables["district_keys"].items()},
        districts_all=_by_key(districts, tables["district_keys_all"]),
        old_wards=OldWards(
            {d: _by_key(old_wards, t) for d, t in tables["old_ward_keys"].items()},
            tables["old_wards_everywhere"],
        ),
        old_provinces=tables["old_provinces"],
        island_targets=tables["island_targets"],
        names=tables["names"],
        max_words=tables["max_words"],
        centroids=tables["centroids"],
        ward_names=tables["ward_names"],
        ward_provinces=tables["ward_provinces"],
        display_wards=tables["display_wards"],
        display_provinces=tables["display_provinces"],
        to_package=tables["to_package"],
    )


def read_file(path: str | None = None) -> dict[str, Any] | None:
    """The file's contents, or None when it is missing, unreadable or of another format."""
    try:
        with open(path or FILE, "rb") as f:
            data = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return data


def _stored_tables() -> dict[str, Any] | None:
    data = read_file()
    if data is None:
        return None
    try:
        if data["source_sizes"] != source_sizes():
            print(
                f"warning: {FILE} was made from other data than installed;"
                " building the index from the packages (run `python -m app.geo.build`)",
                file=sys.stderr,
            )
            return None
    except (OSError, RuntimeError):
        return None
    tables: dict[str, Any] = data["tables"]
    return tables


@cache
def get() -> Index:
    """The index, loaded (or built) on first use and kept for the process."""
    collecting = gc.isenabled()
    gc.disable()  # tens of thousands of new containers and no garbage: no cycle search
    try:
        tables = _stored_tables()
        if tables is None:
            from app.geo.build import tables_from_packages  # build imports this module

            tables = tables_from_packages()
        return from_tables(tables)
    finally:
        if collecting:
            gc.enable()
