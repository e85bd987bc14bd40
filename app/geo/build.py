"""Builds the index's tables from the packages' data, and writes `app/geo/index.marshal`.

    python -m app.geo.build          # (re)write the file from the installed packages
    python -m app.geo.build --check  # exit 1 if the file is not what they give

`tables` is pure (rows in, plain tables out); `index.from_tables` makes the `Index` of them.
The tables hold only what `marshal` stores (str, int, float, bool, None, tuple, list, dict), so
loading them is a few milliseconds: no JSON parse, no SQLite, no import of the packages.
"""

import argparse
import hashlib
import marshal
import os
import sys
import tempfile
from typing import Any, TypeVar

from app.geo import index
from app.geo.index import (
    DISTRICT_KIND,
    EXTRA_PROVINCE_ALIASES,
    WARD_KIND,
    NewWard,
    OldDistrict,
    OldWard,
    ProvinceName,
    alias_keys,
    strip_type,
)
from app.geo.source import Conversion, LegacyRow, NewRow
from app.geo.text import (
    accent_key_of,
    accent_words_of,
    key_of,
    spaced_of,
    word_count,
    word_pairs,
    written_words,
)

T = TypeVar("T")
Table = dict[str, list[T]]


def _put(table: dict[str, list[T]], key: str, item: T) -> None:
    if key:
        table.setdefault(key, []).append(item)


def _names(primary: str, keywords: str | None) -> list[tuple[str, bool]]:
    """(key, is_alias) pairs: the name's own key first, then the data's keyword aliases."""
    return [(primary, False)] + [(k, True) for k in sorted(alias_keys(keywords, primary))]


def _province_names(
    new: list[NewRow],
    legacy: list[LegacyRow],
    code_of_old: dict[str, str],
    splits: dict[str, set[str]],
) -> dict[str, list[ProvinceName]]:
    current = {r.province_key for r in new}
    names: dict[str, list[ProvinceName]] = {}
    seen: set[tuple[str, str]] = set()
    firsts = {r.province_key: r for r in legacy}  # 10,000 rows, 63 provinces
    spelled: list[tuple[str, str, str, str | None]] = [
        (k, r.province, r.province_short, r.province_keywords) for k, r in firsts.items()
    ]
    spelled += [
        (r.province_key, r.province, r.province_short, None)
        for r in {r.province_key: r for r in new}.values()
    ]
    spelled += [(old, alias, alias, None) for alias, old in EXTRA_PROVINCE_ALIASES.items()]
    for old, full, short, keywords in spelled:
        entry = ProvinceName(code_of_old[old], old, old in current)
        for name in (full, short):
            splits.setdefault(key_of(name), set()).add(spaced_of(name))
        for alias in alias_keys(keywords, ""):
            splits.setdefault(alias, set()).add("*")
        for key in {key_of(full), key_of(short), *alias_keys(keywords, "")}:
            if (key, old) not in seen:
                seen.add((key, old))
                _put(names, key, entry)
    return names


def _new_wards(new: list[NewRow]) -> tuple[dict[str, Table[NewWard]], Table[NewWard], int]:
    by_province: dict[str, Table[NewWard]] = {}
    everywhere: Table[NewWard] = {}
    most_words = 0
    for r in new:
        short = strip_type(r.ward, r.ward_type)
        most_words = max(most_words, word_count(short))
        for key, alias in _names(key_of(short), r.keywords):
            ward = NewWard(r.ward_code, r.province_code, WARD_KIND[r.ward_type], short, alias)
            _put(by_province.setdefault(r.province_code, {}), key, ward)
            _put(everywhere, key, ward)
    return by_province, everywhere, most_words


def _districts(
    legacy: list[LegacyRow], code_of_old: dict[str, str]
) -> tuple[dict[str, Table[OldDistrict]], Table[OldDistrict]]:
    by_province: dict[str, Table[OldDistrict]] = {}
    everywhere: Table[OldDistrict] = {}
    seen: set[str] = set()
    for r in legacy:
        district_id = f"{r.province_key}_{r.district_key}"
        if district_id in seen:
            continue
        seen.add(district_id)
        short = strip_type(r.district, r.district_type)
        for key, alias in _names(key_of(short), r.district_keywords):
            d = OldDistrict(
                district_id,
                r.province_key,
                code_of_old[r.province_key],
                DISTRICT_KIND[r.district_type],
                short,
                alias,
            )
            _put(by_province.setdefault(r.province_key, {}), key, d)
            _put(everywhere, key, d)
    return by_province, everywhere


def _targets(
    old_key: str, conv: Conversion, code_of: dict[tuple[str, str], str]
) -> tuple[str, ...]:
    if old_key in conv.whole:
        return (code_of[conv.whole[old_key]],)
    if old_key in conv.divided:
        province, entries = conv.divided[old_key]
        ordered = sorted(entries, key=lambda e: not e.is_default)  # the official default first
        # distinct: `pick.legacy_found` takes a single ward's targets as they are
        return tuple(dict.fromkeys(code_of[(province, e.new_ward_key)] for e in ordered))
    return ()


def _old_wards(
    legacy: list[LegacyRow],
    conv: Conversion,
    code_of: dict[tuple[str, str], str],
    code_of_old: dict[str, str],
) -> tuple[dict[str, Table[OldWard]], dict[str, str]]:
    by_district: dict[str, Table[OldWard]] = {}
    islands: dict[str, str] = {}
    for r in legacy:
        district_id = f"{r.province_key}_{r.district_key}"
        targets = _targets(f"{district_id}_{r.ward_key or ''}", conv, code_of)
        if r.ward_key is None or r.ward is None or r.ward_type is None:
            if targets:  # an island district without wards became one special zone
                islands[district_id] = targets[0]
            continue
        short = strip_type(r.ward, r.ward_type)
        kind, code = WARD_KIND[r.ward_type], code_of_old[r.province_key]
        own = OldWard(short, kind, False, targets, code, district_id)
        table = by_district.setdefault(district_id, {})
        primary = key_of(short)
        table.setdefault(primary, []).append(own)
        aliases = alias_keys(r.ward_keywords, primary)
        if aliases:
            aliased = OldWard(short, kind, True, targets, code, district_id)
            for key in aliases:
                table.setdefault(key, []).append(aliased)
    return by_district, islands


def _add_splits(
    table: dict[str, list[NewWard]] | dict[str, list[OldDistrict]] | dict[str, list[OldWard]],
    splits: dict[str, set[str]],
) -> None:
    for key, units in table.items():
        forms = splits.setdefault(key, set())
        for u in units:
            forms.add("*" if u.alias else spaced_of(u.short))


def _prefixes(splits: dict[str, set[str]]) -> set[str]:
    """Joined words that a longer name starts with, where the words may split: at the name's
    own word breaks, anywhere in a glued alias."""
    out: set[str] = set()
    for key, forms in splits.items():
        for form in forms:
            if form == "*":
                out.update(key[:i] for i in range(1, len(key)))
            else:
                words = form.split(" ")
                out.update("".join(words[:i]) for i in range(1, len(words)))
    return out


def _display(ward_names: dict[str, str], ward_provinces: dict[str, str]) -> dict[str, Any]:
    """Names and codes as `app/geo/units.py` (the `vietnam-provinces` package) gives them:
    official code -> package code, matched by province and name (see `app/geo/codes.py`)."""
    from app.geo import units  # imports the package: only at build time

    package_wards = units.wards()
    to_package: dict[str, str] = {}
    for code, name in ward_names.items():  # most wards: same code, same spelling
        same = package_wards.get(code)
        if same is not None and same.name == name:
            to_package[code] = code
    taken = set(to_package.values())
    by_name = {
        (w.province_code, accent_key_of(w.name)): w.code
        for w in package_wards.values()
        if w.code not in taken
    }
    for code, name in ward_names.items():
        if code not in to_package:
            package = by_name.get((ward_provinces[code], accent_key_of(name)))
            if package is not None:
                to_package[code] = package
    display_wards = {}
    for code, name in ward_names.items():
        ward = units.ward(to_package[code]) if code in to_package else None
        display_wards[code] = ward.name if ward else name
    return {
        "to_package": to_package,
        "display_wards": display_wards,
        "display_provinces": {code: p.name for code, p in units.provinces().items()},
    }


def _ids(table: dict[str, list[T]], ids: dict[int, int]) -> dict[str, int | list[int]]:
    """Key -> the positions of its units in their list: one position alone (most keys name
    one unit), several in a list."""
    positions = {key: [ids[id(u)] for u in units] for key, units in table.items()}
    return {key: p[0] if len(p) == 1 else p for key, p in positions.items()}


def tables(new: list[NewRow], legacy: list[LegacyRow], conv: Conversion) -> dict[str, Any]:
    code_of_new = {r.province_key: r.province_code for r in new}
    code_of_old = {o: code_of_new[n] for n, olds in conv.provinces.items() for o in olds}
    ward_code_of = {(r.province_key, r.ward_key): r.ward_code for r in new}
    splits: dict[str, set[str]] = {}
    provinces = _province_names(new, legacy, code_of_old, splits)
    new_wards, new_all, most_words = _new_wards(new)
    districts, districts_all = _districts(legacy, code_of_old)
    old_wards, islands = _old_wards(legacy, conv, ward_code_of, code_of_old)
    old_keys = frozenset(k for table in old_wards.values() for k in table)
    keys = frozenset(provinces) | frozenset(new_all) | frozenset(districts_all) | old_keys
    units: list[Table[NewWard] | Table[OldDistrict] | Table[OldWard]]
    units = [new_all, districts_all, *old_wards.values()]
    for table in units:
        _add_splits(table, splits)
    if keys != splits.keys():  # `index.from_tables` takes the keys of `splits`
        raise ValueError("names without a spaced form")
    old_provinces: dict[str, tuple[str, ...]] = {}
    for n, olds in conv.provinces.items():
        # the legacy province that gave today's province its name comes first
        old_provinces[code_of_new[n]] = tuple(sorted(olds, key=lambda o: o != n))
    # each unit once, tables refer to it by position
    ward_list = list({id(w): w for ws in new_all.values() for w in ws}.values())
    ward_ids = {id(w): i for i, w in enumerate(ward_list)}
    district_list = list({id(d): d for ds in districts_all.values() for d in ds}.values())
    district_ids = {id(d): i for i, d in enumerate(district_list)}
    ward_names = {r.ward_code: r.ward for r in new}
    ward_provinces = {r.ward_code: r.province_code for r in new}
    for district in old_wards:
        old_province = district.split("_", 1)[0]
        if f"{old_province}_" not in district or old_province not in code_of_old:
            raise ValueError(f"district id {district!r} does not start with its province")
    by_district = {district: old_wards[district] for district in sorted(old_wards)}
    old_ward_list = list(
        {id(w): w for table in by_district.values() for ws in table.values() for w in ws}.values()
    )
    old_ward_ids = {id(w): i for i, w in enumerate(old_ward_list)}
    everywhere: dict[str, list[str]] = {}
    for district, table in by_district.items():  # districts by id: provinces in order of key
        old_province = district.split("_", 1)[0]
        for key in table:
            provinces_named = everywhere.setdefault(key, [])
            if old_province not in provinces_named:
                provinces_named.append(old_province)
    # The names' words and diacritics worked out here, not per request (see `text.know`).
    unit_names = sorted({u.short for table in units for us in table.values() for u in us})
    words = sorted({w for name in unit_names for w in written_words(name)})
    name_accents = {n: accent_words_of(n) for n in unit_names}
    out = {
        "provinces": {k: [tuple(p) for p in names] for k, names in provinces.items()},
        "new_wards": [tuple(w) for w in ward_list],
        "new_ward_keys": {code: _ids(t, ward_ids) for code, t in new_wards.items()},
        "new_ward_keys_all": _ids(new_all, ward_ids),
        "districts": [tuple(d) for d in district_list],
        "district_keys": {o: _ids(t, district_ids) for o, t in districts.items()},
        "district_keys_all": _ids(districts_all, district_ids),
        "old_wards": [tuple(w) for w in old_ward_list],
        "old_ward_keys": {d: _ids(t, old_ward_ids) for d, t in by_district.items()},
        "old_wards_everywhere": {k: tuple(v) for k, v in sorted(everywhere.items())},
        "old_provinces": old_provinces,
        "island_targets": islands,
        "names": {
            **dict.fromkeys(sorted(_prefixes(splits) - splits.keys()), ()),
            **{k: tuple(sorted(v)) for k, v in sorted(splits.items())},
        },
        "max_words": min(most_words + 2, 8),
        "centroids": tuple((r.ward_code, r.province_code, r.lat, r.lon) for r in new),
        "ward_names": ward_names,
        "ward_provinces": ward_provinces,
        **_display(ward_names, ward_provinces),
        "words": {w: word_pairs(w) for w in words},
        "name_accents": name_accents,
    }
    pooled: dict[str, Any] = _pooled(out, {})
    return pooled


def _pooled(obj: Any, pool: dict[Any, Any]) -> Any:
    """`obj` with equal strings, and equal tuples of strings (names' forms and diacritics,
    legacy wards' targets), made one object: marshal then writes (and loads) each once."""
    if isinstance(obj, str):
        return pool.setdefault(obj, obj)
    if isinstance(obj, dict):
        return {_pooled(k, pool): _pooled(v, pool) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_pooled(v, pool) for v in obj]
    if isinstance(obj, tuple):
        items = tuple(_pooled(v, pool) for v in obj)
        return pool.setdefault(items, items) if all(isinstance(v, str) for v in items) else items
    return obj


def tables_from_packages() -> dict[str, Any]:
    from app.geo import source

    return tables(*source.load_rows(), source.load_conversion())


def _sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def contents() -> dict[str, Any]:
    """What the file holds for the installed packages."""
    paths = index.source_paths()
    return {
        "format": index.FORMAT,
        "source_sizes": [os.stat(p).st_size for p in paths],
        "source_sha256": [_sha256(p) for p in paths],
        "tables": tables_from_packages(),
    }


def comparable(contents: dict[str, Any] | None) -> dict[str, Any] | None:
    """`contents` as compared: marshal's bytes for equal data may differ from one process to
    the next (it shares objects by identity), their contents may not."""
    return contents


def is_current() -> bool:
    return comparable(index.read_file()) == comparable(contents())


def write(path: str | None = None) -> None:
    path = path or index.FILE
    data = marshal.dumps(contents(), 4)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.geo.build", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    if args.check:
        current = is_current()
        print(f"{index.FILE}: {'current' if current else 'STALE (run python -m app.geo.build)'}")
        return 0 if current else 1
    write()
    print(f"wrote {index.FILE} ({os.path.getsize(index.FILE):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
