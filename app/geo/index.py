"""The in-memory index of place names, loaded once per process.

Keys are folded names with the words joined ("Thạnh Thới An" -> "thanhthoian"), so spacing
variants ("Hanoi"/"Ha Noi", "Kon Tum"/"Kontum") meet. Diacritics are compared only to split
names that fold alike (Cẩm Giang / Cẩm Giàng), see `text.accent_words_of`. The file also
carries the tokens of the names' words and the diacritics of the names, worked out (handed to
`text.know`), so that requests seldom work them out.

The index is derived from the packages' data by `app.geo.build` and kept, precomputed, in
`index.marshal` beside this module (`python -m app.geo.build` writes it; a test fails when it
differs from what the installed packages give). Loading it takes a few milliseconds; when it is
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
from typing import Any, Final, NamedTuple

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
FORMAT: Final = 2
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
    """Legacy wards by district, and merged by legacy province or over the whole country.
    A legacy province's wards are unpacked on first use (a request touches one or two of the
    63), together with its merged table."""

    def __init__(self, packed: dict[str, Any], everywhere: bytes) -> None:
        self._packed = packed  # legacy province -> (province code, marshalled district tables)
        self._districts: dict[str, WardTable] = {}
        self._provinces: dict[str, WardTable] = {}
        self._everywhere_blob = everywhere
        self._everywhere: Everywhere | None = None

    def _unpack(self, old_province: str) -> WardTable:
        code, blob = self._packed[old_province]
        new = tuple.__new__
        merged: dict[str, list[OldWard]] = {}
        for district, table in marshal.loads(blob).items():  # in order of district id
            own: dict[str, list[OldWard]] = {}
            for key, wards in table.items():
                units = own[key] = [new(OldWard, (*w, code, district)) for w in wards]
                merged.setdefault(key, []).extend(units)
            self._districts[district] = own
        self._provinces[old_province] = merged
        return merged

    def district(self, district: str) -> WardTable:
        """Key -> wards of one district ("provincekey_districtkey"); empty if it had none."""
        table = self._districts.get(district)
        if table is None:
            old_province = district.split("_", 1)[0]
            if old_province in self._packed and old_province not in self._provinces:
                self._unpack(old_province)
            table = self._districts.get(district, {})
        return table

    def province(self, old_province: str) -> WardTable:
        """Key -> wards of a legacy province, its districts in order of id."""
        table = self._provinces.get(old_province)
        if table is None:
            table = self._unpack(old_province) if old_province in self._packed else {}
        return table

    def everywhere(self) -> "Everywhere":
        """Key -> wards of every legacy province, the provinces in order of key."""
        if self._everywhere is None:
            self._everywhere = Everywhere(self, marshal.loads(self._everywhere_blob))
        return self._everywhere

    def all(self) -> dict[str, WardTable]:
        """Every district's table (unpacks everything: for tests and tools)."""
        for old_province in self._packed:
            self.province(old_province)
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
    keys: frozenset[str]
    # key -> its names' spaced forms; "*" for glued aliases
    splits: dict[str, tuple[str, ...]]
    # joined words that some longer name starts with: where a multi-word search may go on
    prefixes: frozenset[str]
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


def from_tables(tables: dict[str, Any]) -> Index:
    """The index from the plain tables of `app.geo.build.tables` (as stored in the file)."""
    new = tuple.__new__
    wards = [new(NewWard, w) for w in tables["new_wards"]]
    new_wards: dict[str, dict[str, list[NewWard]]] = {}
    for code, table in tables["new_ward_keys"].items():
        new_wards[code] = {key: [wards[i] for i in ids] for key, ids in table.items()}
    new_wards_all: dict[str, list[NewWard]] = {}
    for key, ids in tables["new_ward_keys_all"].items():
        new_wards_all[key] = [wards[i] for i in ids]
    text.know(tables["words"], tables["name_accents"])
    districts = [new(OldDistrict, d) for d in tables["districts"]]
    by_province = {
        o: {key: [districts[i] for i in ids] for key, ids in table.items()}
        for o, table in tables["district_keys"].items()
    }
    return Index(
        provinces={
            k: [new(ProvinceName, p) for p in names] for k, names in tables["provinces"].items()
        },
        new_wards=new_wards,
        new_wards_all=new_wards_all,
        districts=by_province,
        districts_all={
            key: [districts[i] for i in ids] for key, ids in tables["district_keys_all"].items()
        },
        old_wards=OldWards(tables["old_wards"], tables["old_wards_everywhere"]),
        old_provinces=tables["old_provinces"],
        island_targets=tables["island_targets"],
        keys=frozenset(tables["splits"]),
        splits=tables["splits"],
        prefixes=frozenset(tables["prefixes"]),
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
