"""Builds the `Index` from the rows of `source` (pure: rows in, index out)."""

from typing import TypeVar

from app.geo.index import (
    DISTRICT_KIND,
    EXTRA_PROVINCE_ALIASES,
    WARD_KIND,
    Index,
    NewWard,
    OldDistrict,
    OldWard,
    ProvinceName,
    alias_keys,
    strip_type,
)
from app.geo.source import Conversion, LegacyRow, NewRow
from app.geo.text import key_of, spaced_of, word_count

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
        return tuple(code_of[(province, e.new_ward_key)] for e in ordered)
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
        ward_id, kind = f"{district_id}_{r.ward_key}", WARD_KIND[r.ward_type]
        code = code_of_old[r.province_key]
        own = OldWard(ward_id, district_id, r.province_key, code, kind, short, False, targets)
        table = by_district.setdefault(district_id, {})
        primary = key_of(short)
        table.setdefault(primary, []).append(own)
        aliases = alias_keys(r.ward_keywords, primary)
        if aliases:
            aliased = OldWard(
                ward_id, district_id, r.province_key, code, kind, short, True, targets
            )
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


def build(new: list[NewRow], legacy: list[LegacyRow], conv: Conversion) -> Index:
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
    tables: list[dict[str, list[NewWard]] | dict[str, list[OldDistrict]] | dict[str, list[OldWard]]]
    tables = [new_all, districts_all, *old_wards.values()]
    for table in tables:
        _add_splits(table, splits)
    old_provinces: dict[str, tuple[str, ...]] = {}
    for n, olds in conv.provinces.items():
        # the legacy province that gave today's province its name comes first
        old_provinces[code_of_new[n]] = tuple(sorted(olds, key=lambda o: o != n))
    return Index(
        provinces=provinces,
        new_wards=new_wards,
        new_wards_all=new_all,
        districts=districts,
        districts_all=districts_all,
        old_wards=old_wards,
        old_provinces=old_provinces,
        island_targets=islands,
        keys=keys,
        splits={k: frozenset(v) for k, v in splits.items()},
        max_words=min(most_words + 2, 8),
        centroids=tuple((r.ward_code, r.province_code, r.lat, r.lon) for r in new),
        ward_names={r.ward_code: r.ward for r in new},
        ward_provinces={r.ward_code: r.province_code for r in new},
    )
