"""Bounded typo search, tried last and only among a small candidate set.

Only the words right after a unit-type word ("xã Đông Hia"), or the words just left of the
province, are compared; only with names of the province already found (or the district typed);
at most 1 edit for names of 5-9 letters and 2 for longer ones (a transposition is one edit); and
only a single best candidate is accepted: a tie is not a guess we make.
"""

from collections.abc import Iterable, Mapping, Sequence

from app.geo import index
from app.geo.edits import MAX_SLOT, closest, slot_end
from app.geo.index import Index, OldDistrict, OldWard
from app.geo.mentions import (
    EXCLUDE,
    PROVINCE_MARKS,
    WARD_MARKS,
    Mention,
    is_type_word,
    marker_before,
)
from app.geo.pick import Context, Found, legacy_found, old_ward_in, old_wards_of, unique
from app.geo.text import Token

_DISTRICT_TYPED = frozenset({"quan", "huyen", "thixa", "district", "city"})


Slot = tuple[int, int, bool]  # start, end, typed (after a type word)


def _slots(tokens: Sequence[Token], bound: int, marks: frozenset[str]) -> list[Slot]:
    """Spans right after a type word in `marks`, and the untyped segment just left of `bound`;
    rightmost first."""
    out: list[Slot] = []
    for i in range(min(bound, len(tokens))):
        mark = marker_before(tokens, i)
        if mark is not None and mark in marks:
            out.append((i, slot_end(tokens, i, bound), True))
    if 0 < bound <= len(tokens):
        seg = tokens[bound - 1].seg
        start = next(i for i in range(bound) if tokens[i].seg == seg)
        if not is_type_word(tokens, start) and bound - start <= MAX_SLOT:
            out.append((start, bound, False))
    return sorted(out, key=lambda s: s[1], reverse=True)


def _search(
    tokens: Sequence[Token], slots: list[Slot], keys: Iterable[str]
) -> tuple[str, int] | None:
    """The first slot close to one name. A typed slot may carry trailing words ("xã Đông Hia
    thôn 3"); an untyped one must be the whole name ("căn hộ chung cư" is not "Cần Thơ")."""
    keys = list(keys)
    for start, end, typed in slots:
        for stop in range(end, start if typed else end - 1, -1):
            key = "".join(t.plain for t in tokens[start:stop])
            hit = closest(key, keys, 2 if typed else 1)
            if hit:
                return hit, start
    return None


def _fuzzy_district(
    ix: Index, tokens: Sequence[Token], ctx: Context
) -> tuple[list[OldDistrict], int]:
    table = {k: v for o in ctx.old_provinces for k, v in ix.districts.get(o, {}).items()}
    hit = _search(tokens, _slots(tokens, ctx.bound, _DISTRICT_TYPED)[:3], table)
    return (table[hit[0]], hit[1]) if hit else ([], ctx.bound)


def ward(
    tokens: Sequence[Token], mentions: Sequence[Mention], ctx: Context, district: list[OldDistrict]
) -> Found | None:
    ix = index.get()
    bound = ctx.bound
    if not district:
        district, bound = _fuzzy_district(ix, tokens, ctx)
        found = old_ward_in(tokens, mentions, district, bound) if district else None
        if found:
            return found
    new = ix.new_wards.get(ctx.province_code, {})
    merged: dict[str, Sequence[OldWard]] = {}
    for d in district:
        merged.update(ix.old_wards.district(d.id))
    old: Mapping[str, Sequence[OldWard]] = merged
    if not district and ctx.old_only:
        old = old_wards_of(ctx.old_provinces[0])
    # Only names after a ward type word: an untyped phrase one letter from a ward's name is
    # too often a landmark ("nghĩa trang" is not Nghĩa Trung).
    typed = [s for s in _slots(tokens, bound, WARD_MARKS) if s[2]][:4]
    hit = _search(tokens, typed, [*old, *new])
    if hit is None:
        return None
    if hit[0] in old:
        return legacy_found(old[hit[0]], ctx.province_code)
    codes = unique(
        sorted(u.code for u in new[hit[0]] if not u.alias) or [u.code for u in new[hit[0]]]
    )
    return Found("exact", ctx.province_code, codes, ambiguous=len(codes) > 1)


def province(ix: Index, tokens: Sequence[Token]) -> Context | None:
    """A misspelt province after 'tỉnh'/'TP', or as the last segment."""
    n = len(tokens)
    slots = _slots(tokens, n, PROVINCE_MARKS)[:2]
    keys = [k for k in ix.provinces if len(k) >= 5]
    hit = _search(tokens, slots, keys)
    if hit is None or marker_before(tokens, hit[1]) == EXCLUDE:
        return None
    names = sorted(ix.provinces[hit[0]], key=lambda p: not p.current)
    code = names[0].province_code
    olds = tuple(dict.fromkeys([p.old_province for p in names] + list(ix.old_provinces[code])))
    return Context(code, olds, not names[0].current, hit[1], None)
