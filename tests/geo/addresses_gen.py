"""Seeded generator of held-out-like addresses with their expected official codes.

It renders today's wards, legacy wards (whole, numbered and divided) and provinces from the
packages' data in the ways callers write them (type words full or abbreviated or English,
with/without diacritics, any case, hamlet or street before the unit). Expected answers come from
the data (`vietnamadminunits`), never from the resolver.
"""

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache

from app.geo import source
from app.geo.text import key_of

WARD_WORDS = {
    "Xã": ["Xã", "xã", "X.", "x.", "Xa", "xa", "X. "],
    "Phường": ["Phường", "phường", "P.", "p.", "Phuong", "P. "],
    "Thị trấn": ["Thị trấn", "thị trấn", "TT.", "thi tran", "TT"],
    "Đặc khu": ["Đặc khu", "đặc khu", "Dac khu"],
}
ENGLISH_WARD = {"Xã": "Commune", "Phường": "Ward", "Thị trấn": "Town", "Đặc khu": "Special Zone"}
DISTRICT_WORDS = {
    "Huyện": ["Huyện", "huyện", "H.", "h.", "Huyen"],
    "Quận": ["Quận", "quận", "Q.", "Quan", "Q"],
    "Thị xã": ["Thị xã", "thị xã", "TX.", "TX", "thi xa"],
    "Thành phố": ["Thành phố", "thành phố", "TP.", "TP", "tp", "Thanh pho"],
}
ENGLISH_DISTRICT = {"Huyện": "District", "Quận": "District", "Thị xã": "Town", "Thành phố": "City"}
PREFIXES = [
    "",
    "",
    "",
    "thôn 3, ",
    "ấp Tân Lợi, ",
    "bản Nà Làng, ",
    "xóm Đông, ",
    "tổ 7, ",
    "khu phố 2, ",
    "số 12 ngõ 5, ",
    "42 đường Lê Lợi, ",
    "gần chợ, ",
    "đối diện trường tiểu học, ",
    "12 hẻm 45, ",
    "chung cư lô B, ",
]
PROVINCE_ALIASES = {
    "79": ["TP.HCM", "TPHCM", "tp hcm", "HCM", "Sài Gòn", "Sai Gon", "Ho Chi Minh City"],
    "01": ["HN", "Hanoi", "TP Hà Nội"],
}
JUNK = [
    "",
    "   ",
    "khong biet",
    "không biết",
    "không rõ địa chỉ",
    "trên núi",
    "N/A",
    "n/a",
    "?",
    "ở gần nhà bà ngoại",
    "gần trường học",
    "nhà bạn",
    "unknown",
    "không nhớ",
    "ngoài đường",
    "😀😀😀",
    "\x00\x01\x02",
    "asdfghjkl",
    "1234567890",
    "...",
    "chỗ làm của mẹ",
]


@dataclass(frozen=True, slots=True)
class Case:
    address: str
    form: str
    province_code: str | None
    ward_code: str | None
    candidates: tuple[str, ...] = ()


def strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept.replace("đ", "d").replace("Đ", "D"))


def short_of(name: str, unit_type: str | None) -> str:
    return (
        name[len(unit_type) + 1 :].strip()
        if unit_type and name.startswith(unit_type + " ")
        else name
    )


def _case(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.3:
        text = strip_marks(text)
    roll = rng.random()
    return text.lower() if roll < 0.25 else text.upper() if roll < 0.3 else text


def _unit(
    rng: random.Random,
    name: str,
    unit_type: str,
    english: dict[str, str],
    words: dict[str, list[str]],
) -> str:
    short = short_of(name, unit_type)
    if rng.random() < 0.08 and unit_type in english:
        return f"{short} {english[unit_type]}"
    if rng.random() < 0.06 and not short.isdigit():
        return short
    word = rng.choice(words.get(unit_type, [unit_type]))
    return (
        f"{word}{short}" if word.endswith((".", " ")) and rng.random() < 0.5 else f"{word} {short}"
    )


def _province(rng: random.Random, code: str, name: str, short: str) -> str:
    roll = rng.random()
    if code in PROVINCE_ALIASES and roll < 0.3:
        return rng.choice(PROVINCE_ALIASES[code])
    if roll < 0.45:
        return name
    if roll < 0.55:
        return f"{short} {'City' if name.startswith('Thành phố') else 'Province'}"
    if roll < 0.7:
        return f"{'TP' if name.startswith('Thành phố') else 'tỉnh'} {short}"
    return short


@cache
def _data() -> tuple[list[source.NewRow], list[source.LegacyRow], source.Conversion]:
    new, legacy = source.load_rows()
    return new, legacy, source.load_conversion()


def _ambiguous_new() -> set[str]:
    new, _, _ = _data()
    count = Counter((r.province_code, key_of(r.ward_short)) for r in new)
    return {r.ward_code for r in new if count[(r.province_code, key_of(r.ward_short))] > 1}


def current_cases(rng: random.Random, n: int) -> list[Case]:
    new, _, _ = _data()
    skip = _ambiguous_new()  # folded names shared in a province: the type word must decide
    pool = [r for r in new if r.ward_code not in skip]
    out = []
    for r in rng.sample(pool, n):
        unit = _unit(rng, r.ward, r.ward_type, ENGLISH_WARD, WARD_WORDS)
        text = (
            rng.choice(PREFIXES)
            + unit
            + ", "
            + _province(rng, r.province_code, r.province, r.province_short)
        )
        out.append(Case(_case(rng, text), "current", r.province_code, r.ward_code))
    return out


def _legacy_pool(divided: bool) -> list[tuple[source.LegacyRow, tuple[str, ...]]]:
    new, legacy, conv = _data()
    code_of = {(r.province_key, r.ward_key): r.ward_code for r in new}
    folded = Counter(
        (r.province_key, r.district_key, key_of(short_of(r.ward or "", r.ward_type)))
        for r in legacy
    )
    pool = []
    for r in legacy:
        if (
            r.ward_key is None
            or folded[(r.province_key, r.district_key, key_of(short_of(r.ward or "", r.ward_type)))]
            > 1
        ):
            continue
        old_key = f"{r.province_key}_{r.district_key}_{r.ward_key}"
        if divided and old_key in conv.divided:
            prov, entries = conv.divided[old_key]
            ordered = sorted(entries, key=lambda e: not e.is_default)
            pool.append((r, tuple(code_of[(prov, e.new_ward_key)] for e in ordered)))
        elif not divided and old_key in conv.whole:
            pool.append((r, (code_of[conv.whole[old_key]],)))
    return pool


def _today_province(old_key: str) -> source.NewRow:
    new, _, conv = _data()
    today = next(k for k, olds in conv.provinces.items() if old_key in olds)
    return next(r for r in new if r.province_key == today)


def _legacy_text(rng: random.Random, r: source.LegacyRow) -> str:
    assert r.ward and r.ward_type
    ward = _unit(rng, r.ward, r.ward_type, ENGLISH_WARD, WARD_WORDS)
    district = _unit(rng, r.district, r.district_type, ENGLISH_DISTRICT, DISTRICT_WORDS)
    if short_of(ward, None).split()[-1].isdigit() and ward.startswith(
        short_of(r.ward, r.ward_type)
    ):
        ward = "Phường " + ward  # a bare number names nothing
    province = _province(rng, "", r.province, r.province_short)
    if rng.random() < 0.15:  # old ward and district with today's province
        today = _today_province(r.province_key)
        province = _province(rng, today.province_code, today.province, today.province_short)
    sep = rng.choice([", "] * 18 + [" - ", " "])
    return rng.choice(PREFIXES) + sep.join([ward, district, province])


def legacy_cases(
    rng: random.Random, n: int, numbered: bool = False, divided: bool = False
) -> list[Case]:
    new, _, _ = _data()
    province_of = {r.ward_code: r.province_code for r in new}
    pool = [
        (r, t)
        for r, t in _legacy_pool(divided)
        if (short_of(r.ward or "", r.ward_type).isdigit() == numbered)
    ]
    form = "legacy_split" if divided else "legacy_numbered" if numbered else "legacy"
    out = []
    for r, targets in rng.sample(pool, min(n, len(pool))):
        text = _case(rng, _legacy_text(rng, r))
        out.append(Case(text, form, province_of[targets[0]], targets[0], targets[1:]))
    return out


def province_cases(rng: random.Random, n: int) -> list[Case]:
    new, legacy, conv = _data()
    code_of_new = {r.province_key: r.province_code for r in new}
    code_of_old = {o: code_of_new[k] for k, olds in conv.provinces.items() for o in olds}
    firsts = {r.province_key: r for r in legacy}
    out = []
    for _ in range(n):
        r = firsts[rng.choice(sorted(firsts))]
        code = code_of_old[r.province_key]
        text = _case(rng, _province(rng, code, r.province, r.province_short))
        out.append(Case(text, "province_only", code, None))
    return out


def junk_cases(rng: random.Random, n: int) -> list[Case]:
    return [Case(rng.choice(JUNK), "unresolved", None, None) for _ in range(n)]


def typo(rng: random.Random, word: str) -> str:
    """One slip in a name: a letter replaced, dropped, doubled or two swapped."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + rng.choice("aeiounhtg") + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def typo_cases(rng: random.Random, n: int) -> list[Case]:
    new, _, _ = _data()
    skip = _ambiguous_new()
    pool = [r for r in new if r.ward_code not in skip and len(key_of(r.ward_short)) >= 6]
    out = []
    for r in rng.sample(pool, n):
        short = strip_marks(r.ward_short)
        words = short.split()
        k = max(range(len(words)), key=lambda j: len(words[j]))
        if len(words[k]) < 3:
            continue
        words[k] = typo(rng, words[k])
        text = f"{strip_marks(r.ward_type)} {' '.join(words)}, {strip_marks(r.province)}"
        out.append(Case(text, "typo", r.province_code, r.ward_code))
    return out


def mixed(seed: int, n_current: int = 1000, n_legacy: int = 1000) -> list[Case]:
    rng = random.Random(seed)
    return (
        current_cases(rng, n_current)
        + legacy_cases(rng, n_legacy)
        + legacy_cases(rng, n_legacy // 5, numbered=True)
        + legacy_cases(rng, n_legacy // 5, divided=True)
        + province_cases(rng, n_current // 10)
        + junk_cases(rng, n_current // 20)
    )
