"""From tokens to today's unit: the order in which readings of an address are tried.

Inside a known province: a legacy district named left of the province, with a legacy ward left
of it; then today's wards (or first the legacy wards when the province is named by a 63-era name
that no longer exists); then the province's own capital district ("P. 3, TP Bạc Liêu"); then a
bounded typo search. Without a province: a typed legacy district, or a ward name unique in the
country. Anything else is province-only or unresolved rather than a guess.
"""

from collections.abc import Callable, Sequence

from app.geo import fuzzy, index
from app.geo.index import Index, OldDistrict
from app.geo.mentions import DISTRICT_MARKS, WARD_MARKS, Mention, left_edge
from app.geo.pick import (
    Context,
    Found,
    choose,
    district_slot,
    legacy_found,
    narrow,
    old_ward_in,
    old_wards_everywhere,
    old_wards_of,
    pick,
    province_context,
    unique,
    ward_slot,
)
from app.geo.text import Token

Step = Callable[[Sequence[Token], Sequence[Mention], Context], Found | None]
UNRESOLVED = Found("unresolved")


def interpret(tokens: Sequence[Token], mentions: Sequence[Mention], hint: str | None) -> Found:
    """`tokens` and their `mentions` as `mentions.scan` gives them."""
    ix = index.get()
    ctx = province_context(ix, tokens, mentions, hint)
    if ctx is None:
        found = without_province(ix, tokens, mentions)
        if found is not None:
            return found
        ctx = fuzzy.province(ix, tokens)
        if ctx is None:
            return UNRESOLVED
    return within_province(tokens, mentions, ctx) or Found("province_only", ctx.province_code)


def within_province(
    tokens: Sequence[Token], mentions: Sequence[Mention], ctx: Context
) -> Found | None:
    found, district = via_district(tokens, mentions, ctx)
    if found:
        return found
    steps: list[Step] = [current, capital, legacy_in_province, after_province]
    if ctx.old_only:
        steps = [capital, legacy_in_province, current, after_province]
    for step in steps:
        found = step(tokens, mentions, ctx)
        if found:
            return found
    return fuzzy.ward(tokens, mentions, ctx, district)


def _districts_named(ix: Index, m: Mention, old_provinces: Sequence[str]) -> list[OldDistrict]:
    out = [d for o in old_provinces for d in ix.districts.get(o, {}).get(m.key, ())]
    return narrow(out, [], m) if len(out) > 1 else out


def via_district(
    tokens: Sequence[Token], mentions: Sequence[Mention], ctx: Context
) -> tuple[Found | None, list[OldDistrict]]:
    """Legacy form: a ward left of a district, rightmost district first. Returns the district
    that was typed as one (for the typo search) even when its ward was not found."""
    ix = index.get()
    typed: list[OldDistrict] = []
    everywhere = ix.districts_all  # a district of any province: most mentions are none
    ordered = [m for m in mentions if m.key in everywhere]
    if len(ordered) > 1:
        ordered.sort(key=_district_order, reverse=True)
    named: list[Mention] | None = None  # typed wards of today's province, when needed
    for m in ordered:
        if not district_slot(m, ctx.bound):
            continue
        if named is None:
            table = ix.new_wards.get(ctx.province_code, {})
            named = [
                w
                for w in mentions
                if (w.prefix in WARD_MARKS or w.postfix in WARD_MARKS)
                and w.key in table
                and ward_slot(w, ctx.bound)
            ]
        # "P. Xuân Trường - Đà Lạt": a district name inside a typed ward name of today is not one
        if named and any(_overlap(m, w) for w in named):
            continue
        districts = _districts_named(ix, m, ctx.old_provinces)
        if not districts:
            continue
        found = old_ward_in(tokens, mentions, districts, left_edge(tokens, m))
        if found:
            return found, districts
        island = ix.island_targets.get(districts[0].id)
        if island:
            return Found("legacy_converted", ctx.province_code, (island,)), districts
        if m.marked(DISTRICT_MARKS) and not typed:
            typed = districts
    return None, typed


def _district_order(m: Mention) -> tuple[int, bool]:
    """Rightmost first, then typed as a district."""
    return m.end, m.prefix in DISTRICT_MARKS or m.postfix in DISTRICT_MARKS


def _overlap(a: Mention, b: Mention) -> bool:
    return a.start < b.end and b.start < a.end


def current(tokens: Sequence[Token], mentions: Sequence[Mention], ctx: Context) -> Found | None:
    table = index.get().new_wards.get(ctx.province_code, {})
    units = choose(tokens, mentions, [table], ctx.bound)
    if not units:
        return None
    codes = (units[0].code,) if len(units) == 1 else unique(sorted(u.code for u in units))
    return Found("exact", ctx.province_code, codes, len(codes) > 1)


def capital(tokens: Sequence[Token], mentions: Sequence[Mention], ctx: Context) -> Found | None:
    """'P. 3, TP Bạc Liêu': the province's name also named its capital district."""
    if ctx.mention is None:
        return None
    districts = _districts_named(index.get(), ctx.mention, ctx.old_provinces)
    return old_ward_in(tokens, mentions, districts, ctx.bound) if districts else None


def legacy_in_province(
    tokens: Sequence[Token], mentions: Sequence[Mention], ctx: Context
) -> Found | None:
    """A legacy ward named without its district: searched in the province's legacy provinces."""
    tables = [old_wards_of(o) for o in ctx.old_provinces]
    wards = choose(tokens, mentions, tables, ctx.bound)
    return legacy_found(wards, ctx.province_code) if wards else None


def after_province(
    tokens: Sequence[Token], mentions: Sequence[Mention], ctx: Context
) -> Found | None:
    """Big-endian order ("Hà Nội, Ba Vì, xã Phong Vân"): a ward right of the province, typed
    (first) or alone in its segment ("Hà Tĩnh, Tùng Lộc")."""
    if ctx.mention is None:
        return None
    later = [m for m in mentions if m.start >= ctx.mention.end]
    found = _district_then_ward(tokens, later, ctx)
    if found:
        return found
    typed = [m for m in later if m.marked(WARD_MARKS)]
    alone = [m for m in later if _whole_segment(tokens, m)]
    shifted = Context(ctx.province_code, ctx.old_provinces, ctx.old_only, len(tokens), None)
    for group in (typed, alone):
        found = current(tokens, group, shifted) or legacy_in_province(tokens, group, shifted)
        if found:
            return found
    return None


def _district_then_ward(
    tokens: Sequence[Token], later: Sequence[Mention], ctx: Context
) -> Found | None:
    """Big-endian legacy form ("Nghệ An, Hoàng Mai, Quỳnh Xuân"): a district of the province,
    then one of its wards right of it; read before today's wards, since the district's name may
    name one of them too (Phường Hoàng Mai)."""
    ix = index.get()
    n = len(tokens)
    for d in later:
        if d.key not in ix.districts_all or not district_slot(d, n):
            continue
        districts = _districts_named(ix, d, ctx.old_provinces)
        right = [m for m in later if m.start >= d.end]
        if districts and right:
            found = old_ward_in(tokens, right, districts, n)
            if found:
                return found
    return None


def _whole_segment(tokens: Sequence[Token], m: Mention) -> bool:
    """The mention is all its segment, or all of it after "ở"/"tại" (`Mention.first`)."""
    first = m.first or m.start == 0 or tokens[m.start - 1].seg != tokens[m.start].seg
    last = m.end == len(tokens) or tokens[m.end].seg != tokens[m.end - 1].seg
    return first and last and len(m.key) >= 4


def without_province(
    ix: Index, tokens: Sequence[Token], mentions: Sequence[Mention]
) -> Found | None:
    """No province named: a typed legacy district ("P.12, Q. Gò Vấp"), or a name that only one
    province has. A name shared by several provinces resolves nothing."""
    n = len(tokens)
    found, district_province = _by_typed_district(ix, tokens, mentions)
    if found:
        return found

    def named(m: Mention) -> bool:
        return ward_slot(m, n) and (m.marked(WARD_MARKS) or _whole_segment(tokens, m))

    m = pick(mentions, lambda m: named(m) and m.key in ix.new_wards_all, WARD_MARKS)
    if m is not None:
        units = sorted(narrow(ix.new_wards_all[m.key], tokens, m), key=lambda u: u.code)
        if len({u.province_code for u in units}) == 1:
            codes = tuple(u.code for u in units)
            return Found("exact", units[0].province_code, codes, ambiguous=len(codes) > 1)
    everywhere = old_wards_everywhere()
    m = pick(
        mentions, lambda m: named(m) and m.marked(WARD_MARKS) and m.key in everywhere, WARD_MARKS
    )
    if m is not None:
        wards = narrow(everywhere[m.key], tokens, m)
        if len({w.province_code for w in wards}) == 1:
            return legacy_found(wards, wards[0].province_code)
    return Found("province_only", district_province) if district_province else None


def _by_typed_district(
    ix: Index, tokens: Sequence[Token], mentions: Sequence[Mention]
) -> tuple[Found | None, str | None]:
    n = len(tokens)
    province: str | None = None
    for m in sorted(mentions, key=lambda m: m.end, reverse=True):
        if not district_slot(m, n) or m.key not in ix.districts_all:
            continue
        if not m.marked(DISTRICT_MARKS) and not _whole_segment(tokens, m):
            continue
        districts = _districts_named(
            ix, m, sorted({d.old_province for d in ix.districts_all[m.key]})
        )
        edge = left_edge(tokens, m)
        hits = [f for d in districts if (f := old_ward_in(tokens, mentions, [d], edge))]
        if len({f.province_code for f in hits}) == 1:
            return hits[0], None
        codes = {d.province_code for d in districts}
        if province is None and len(codes) == 1 and m.marked(DISTRICT_MARKS):
            province = codes.pop()
    return None, province
