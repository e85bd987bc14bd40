"""Shared steps of interpretation: the internal result, the province context, and choosing
among mentions and among units that share a name."""

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, Protocol, TypeVar

from app.geo import index
from app.geo.edits import longer, slot_end
from app.geo.index import Index, OldDistrict, OldWard
from app.geo.mentions import DISTRICT_MARKS, PROVINCE_MARKS, WARD_MARKS, Mention, left_edge
from app.geo.text import Token, name_accents
from app.vocab import Resolution

NOT_WARD = DISTRICT_MARKS | PROVINCE_MARKS
ANY_MARK = WARD_MARKS | DISTRICT_MARKS | PROVINCE_MARKS | {"town"}
NOT_PROVINCE = WARD_MARKS | (DISTRICT_MARKS - PROVINCE_MARKS)
# An English "ward" means phường; "district" any district; "city" a provincial city.
_KIND_OF_MARK = {"district": {"quan", "huyen"}, "town": {"thitran", "thixa"}}


class Found(NamedTuple):
    resolution: Resolution
    province_code: str | None = None
    wards: tuple[str, ...] = ()  # official codes, the chosen one first
    ambiguous: bool = False


class Context(NamedTuple):
    province_code: str
    old_provinces: tuple[str, ...]  # legacy provinces to search, the one named first
    old_only: bool  # named by a 63-era province that is not one of today's names
    bound: int  # units are looked for left of this token (the province mention)
    mention: Mention | None


class Named(Protocol):
    @property
    def short(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def alias(self) -> bool: ...


N = TypeVar("N", bound=Named)


def pick(
    mentions: Sequence[Mention], ok: Callable[[Mention], bool], prefer: frozenset[str]
) -> Mention | None:
    """The mention to trust: one marked with a `prefer` type word if any, then the rightmost,
    then the longest (the most specific reading, as callers write the unit after the hamlet)."""
    best: Mention | None = None
    best_rank = (False, -1, -1)
    for m in mentions:
        rank = (m.prefix in prefer or m.postfix in prefer, m.end, m.end - m.start)
        if rank > best_rank and ok(m):
            best, best_rank = m, rank
    return best


def ward_slot(m: Mention, bound: int) -> bool:
    """Could this mention name a ward? Left of `bound`, not a hamlet, not typed as something
    bigger; a bare number only with a ward word ("P. 12")."""
    if m.end > bound or m.inner or m.prefix in NOT_WARD or m.postfix in NOT_WARD:
        return False
    if m.excluded and m.postfix not in WARD_MARKS:  # "ấp Tân Lợi Mèo Vạc Commune" is a ward
        return False
    if m.prefix in WARD_MARKS or m.postfix in WARD_MARKS:  # m.marked(WARD_MARKS), inlined
        return True
    # untyped: a number names nothing, and a name mid-segment is a landmark ("cuối làng")
    return not m.numeric and m.first


def district_slot(m: Mention, bound: int) -> bool:
    if m.end > bound or m.excluded or m.prefix == "tinh" or m.postfix in WARD_MARKS:
        return False
    if m.prefix in WARD_MARKS and m.postfix not in DISTRICT_MARKS:  # "Go Vap District" wins
        return False
    return not m.numeric or m.prefix in ("quan", "district") or m.postfix == "district"


def _kind_ok(kind: str, m: Mention) -> bool:
    for mk in (m.prefix, m.postfix):
        if mk and (kind == mk or kind in _KIND_OF_MARK.get(mk, ())):
            return True
    return False


def narrow(units: Sequence[N], tokens: Sequence[Token], m: Mention, exact: bool = True) -> list[N]:
    """Of units sharing a folded name: own names before aliases, then the ones whose
    diacritics match what was typed (if any were), then the type word given."""
    out = list(units) if len(units) == 1 else ([u for u in units if not u.alias] or list(units))
    if exact:
        typed = tuple([t.accent for t in tokens[m.start : m.end]])
        if "".join(typed) != m.key:  # typed diacritics tell Cẩm Giang from Cẩm Giàng
            same = [u for u in out if name_accents(u.short) == typed]
            if not same and not m.marked(ANY_MARK):
                # Untyped, spelt otherwise: another word ("làng" is not Láng, "bờ đê" not Bồ
                # Đề); one word of several may differ (Đăk/Đắk spellings vary).
                same = [u for u in out if _accents_close(typed, name_accents(u.short))]
                if not same:
                    return []
            out = same or out
    if len(out) == 1:  # the type word can only keep it
        return out
    return [u for u in out if _kind_ok(u.kind, m)] or out


def _accents_close(typed: tuple[str, ...], name: tuple[str, ...]) -> bool:
    if len(typed) != len(name):
        return True  # an alias or glued spelling: nothing to compare word by word
    differ = sum(a != b for a, b in zip(typed, name, strict=True))
    return differ == 0 or (differ == 1 and len(typed) > 1)


Table = Mapping[str, Sequence[N]]


def choose(
    tokens: Sequence[Token], mentions: Sequence[Mention], tables: Sequence[Table[N]], bound: int
) -> list[N]:
    """Units named by the best ward mention found in `tables` (one typo allowed past a name
    that is only the start of the typed one, see `edits.longer`)."""
    if len(tables) == 1:
        table = tables[0]
        named = [m for m in mentions if m.key in table]  # most mentions name none of them
    else:
        named = [m for m in mentions if any(m.key in t for t in tables)]
    m = pick(named, lambda m: ward_slot(m, bound), WARD_MARKS) if named else None
    if m is None:
        return []
    typed = m.prefix in WARD_MARKS or m.postfix in WARD_MARKS
    if typed and slot_end(tokens, m.start, bound) > m.end:
        hit = longer(tokens, m, bound, [k for t in tables for k in t])
        if hit:
            return narrow([u for t in tables for u in t.get(hit, ())], tokens, m, exact=False)
    return narrow([u for t in tables for u in t.get(m.key, ())], tokens, m)


def unique(codes: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def legacy_found(wards: Sequence[OldWard], province_code: str) -> Found | None:
    """A legacy ward converted: the official default of a divided ward first, the others as
    candidates; several legacy wards sharing the name make it ambiguous too."""
    # one ward (most often): its targets are distinct already (see `app.geo.build`)
    codes = wards[0].targets if len(wards) == 1 else unique([c for w in wards for c in w.targets])
    if not codes:
        return None
    return Found("legacy_converted", province_code, codes, len(codes) > 1)


def old_ward_in(
    tokens: Sequence[Token],
    mentions: Sequence[Mention],
    districts: Sequence[OldDistrict],
    bound: int,
) -> Found | None:
    """A legacy ward of one of `districts` named left of `bound`."""
    ix = index.get()
    tables = [ix.old_wards.district(d.id) for d in districts]
    wards = choose(tokens, mentions, tables, bound)
    return legacy_found(wards, districts[0].province_code) if wards else None


def old_wards_of(old_province: str) -> Table[OldWard]:
    """Legacy wards of a 63-era province by key."""
    return index.get().old_wards.province(old_province)


def old_wards_everywhere() -> Table[OldWard]:
    return index.get().old_wards.everywhere()


def province_context(
    ix: Index, tokens: Sequence[Token], mentions: Sequence[Mention], hint: str | None
) -> Context | None:
    """The rightmost mention naming a province (not typed as a ward or district), or the
    caller's province_code; with a hint, only mentions inside the hinted province count."""
    n = len(tokens)
    best: Mention | None = None
    provinces = ix.provinces
    for m in mentions:
        if m.key not in provinces or m.prefix in NOT_PROVINCE:
            continue
        if m.excluded and m.end < n:  # a hamlet named like a province, unless it ends the text
            continue
        if m.postfix in NOT_PROVINCE or (hint and not _in(ix, m.key, hint)):
            continue
        if best is None or (m.end, m.end - m.start) > (best.end, best.end - best.start):
            best = m
    if best is None:
        return Context(hint, ix.old_provinces[hint], False, n, None) if hint else None
    code, old_provinces, old_only = _named_province(ix, best.key, hint)
    return Context(code, old_provinces, old_only, left_edge(tokens, best), best)


def _named_province(ix: Index, key: str, hint: str | None) -> tuple[str, tuple[str, ...], bool]:
    """Province code, legacy provinces (the named ones first) and old-only flag of a province
    name (with the caller's hint, if any). Cached: a few dozen names and hints recur."""
    if _NAMED.index is not ix:  # another index (tests build their own): start afresh
        _NAMED.index, _NAMED.cache = ix, {}
    cache = _NAMED.cache
    found = cache.get((key, hint))
    if found is None:
        names = sorted(ix.provinces[key], key=lambda p: not p.current)
        code = hint or names[0].province_code
        named = [p.old_province for p in names if p.province_code == code]
        rest = [o for o in ix.old_provinces[code] if o not in named]
        old_only = not any(p.current for p in names)
        found = cache[(key, hint)] = (code, tuple(named + rest), old_only)
    return found


class _NamedCache:
    def __init__(self) -> None:
        self.index: Index | None = None
        self.cache: dict[tuple[str, str | None], tuple[str, tuple[str, ...], bool]] = {}


_NAMED = _NamedCache()


def _in(ix: Index, key: str, province_code: str) -> bool:
    return any(p.province_code == province_code for p in ix.provinces[key])
