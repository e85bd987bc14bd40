"""Finding place-name mentions in a token list, with the unit-type words around them.

A mention is a run of tokens (within one comma segment) whose joined key is a known name. Its
`prefix` is the unit-type word right before it ("xã", "P.", "huyện", "TP"), its `postfix` an
English type word right after it ("Ben Nghe Ward", "Ho Chi Minh City"). A mention right after a
hamlet or street word ("thôn", "ấp", "bản", "đường"...) is `excluded`: hamlets and streets are
often named like a ward somewhere else.
"""

from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from typing import Final, NamedTuple

from app.geo import index  # index imports nothing of this module
from app.geo.text import MAX_TOKENS, Token, accent_sig, segment_tokens, segments

WARD_MARKS: Final = frozenset({"xa", "phuong", "thitran", "dackhu"})
DISTRICT_MARKS: Final = frozenset({"quan", "huyen", "thixa", "district", "city"})
PROVINCE_MARKS: Final = frozenset({"tinh", "city"})
EXCLUDE: Final = "exclude"

_ONE: Final = {
    "xa": "xa",
    "x": "xa",
    "commune": "xa",
    "phuong": "phuong",
    "p": "phuong",
    "ph": "phuong",  # "Ph. Hoài Nhơn Bắc"
    "f": "phuong",
    "ward": "phuong",
    "tt": "thitran",
    "ttr": "thitran",
    "township": "thitran",
    "quan": "quan",
    "q": "quan",
    "district": "district",
    "dist": "district",  # "Ward 4, Dist. 8"
    "huyen": "huyen",
    "h": "huyen",
    "tx": "thixa",
    "town": "town",
    "tp": "city",
    "city": "city",
    "thanhpho": "city",
    "tinh": "tinh",
    "province": "tinh",
}
# Words that start a hamlet, street or landmark name (what follows them is not a unit), with
# their spelling: written otherwise they are a name's own word ("Tô Hiệu" is not "tổ").
# fmt: off
_EXCLUDERS: Final = {
    "thon": "thôn", "ap": "ấp", "ban": "bản", "xom": "xóm", "to": "tổ", "khu": "khu",
    "kp": "kp", "khom": "khóm", "buon": "buôn", "plei": "plei", "soc": "sóc",  # hamlets
    "so": "số", "duong": "đường", "ngo": "ngõ", "hem": "hẻm", "ngach": "ngách", "kiet": "kiệt",
    "lo": "lô", "toa": "tòa", "block": "block",  # streets, buildings
    "hamlet": "hamlet", "village": "village", "street": "street", "st": "st", "road": "road",
    "alley": "alley", "lane": "lane",
    "gan": "gần", "canh": "cạnh", "doi": "đối", "tren": "trên", "duoi": "dưới",  # near, ...
    "trong": "trong", "ngoai": "ngoài", "sau": "sau", "truoc": "trước",
    "nha": "nhà", "benh": "bệnh", "chua": "chùa",  # house, hospital, pagoda
}
# fmt: on
_EXCLUDER_ACCENTS: Final = {plain: accent_sig(word) for plain, word in _EXCLUDERS.items()}
# "ở", "tại" (at): the place named after them starts afresh ("gần UBND ở Cốc Lầu").
_AT_ACCENTS: Final = {"o": accent_sig("ở"), "tai": accent_sig("tại")}
# The words after which `marker_before` may find a mark (besides the bigrams of _TWO).
_MARK_WORDS: Final = frozenset(_ONE) | frozenset(_EXCLUDERS)


def _spelt_as(token: Token, accents: Mapping[str, str]) -> bool:
    """Is the token one of `accents`' words, typed without diacritics or with exactly its?"""
    spelt = accents.get(token.plain)
    return spelt is not None and token.accent in (token.plain, spelt)


def _excludes(token: Token) -> bool:
    return _spelt_as(token, _EXCLUDER_ACCENTS)


_TWO: Final = {
    ("thi", "tran"): "thitran",
    ("dac", "khu"): "dackhu",
    ("thi", "xa"): "thixa",
    ("thanh", "pho"): "city",
    ("special", "zone"): "dackhu",
    ("khu", "pho"): EXCLUDE,
    ("dan", "pho"): EXCLUDE,
}
_AFTER: Final = {
    "ward": "phuong",
    "commune": "xa",
    "district": "district",
    "city": "city",
    "province": "tinh",
    "town": "town",
    "township": "thitran",
    "special": "dackhu",  # "Phú Quý Special Zone"
}


class Mention(NamedTuple):  # NamedTuple: several are built per address
    start: int
    end: int  # exclusive
    key: str
    prefix: str | None
    postfix: str | None
    excluded: bool  # inside a hamlet or street name
    inner: bool = False  # starts inside the name after a ward type word, not right after it
    first: bool = False  # starts its segment (or follows a spaced dash)

    @property
    def numeric(self) -> bool:
        return self.key.isascii() and self.key.isdigit()

    def marked(self, kinds: frozenset[str]) -> bool:
        return self.prefix in kinds or self.postfix in kinds


def marker_before(tokens: Sequence[Token], i: int) -> str | None:
    """The type word ending just before token i (same segment, no " - " between), bigrams
    first."""
    if i >= len(tokens) or tokens[i].soft:
        return None
    if (
        i >= 2
        and tokens[i - 2].seg == tokens[i - 1].seg == tokens[i].seg
        and not tokens[i - 1].soft
    ):
        two = _TWO.get((tokens[i - 2].plain, tokens[i - 1].plain))
        if two:
            return two
    if i >= 1 and tokens[i - 1].seg == tokens[i].seg:
        word = tokens[i - 1].plain
        if word in _AFTER and not _english_prefix(tokens, i - 1):
            return None
        if word in _TYPE_SPELLING and not _spelt_as_type(tokens[i - 1]):
            return None  # "Phùng Xá - Thạch Thất": xá is not xã
        return EXCLUDE if _excludes(tokens[i - 1]) else _ONE.get(word)
    return None


def left_edge(tokens: Sequence[Token], m: "Mention") -> int:
    """Where the unit named by `m` begins: before its type word ("huyện Tiên Yên")."""
    if m.prefix is None:
        return m.start
    i = m.start
    two = i >= 2 and (tokens[i - 2].plain, tokens[i - 1].plain) in _TWO
    return i - 2 if two else i - 1


_ENGLISH_STREET: Final = frozenset({"street", "st", "road", "alley", "lane"})


def _english_prefix(tokens: Sequence[Token], i: int) -> bool:
    """English type words follow names ("Ben Nghe Ward - Go Vap District"); they come first
    only before a number ("Ward 12"), at the start of a segment ("District Go Vap") or right
    after a street ("81 Nguyen Van Cu Street Ward Thuong Lac")."""
    first = i == 0 or tokens[i - 1].seg != tokens[i].seg
    return (first or (i + 1 < len(tokens) and tokens[i + 1].plain.isdigit())
            or tokens[i - 1].plain in _ENGLISH_STREET)


def is_type_word(tokens: Sequence[Token], i: int) -> bool:
    """Does token i start a type, hamlet or street word?"""
    word = tokens[i].plain
    if word in _ONE or _excludes(tokens[i]):
        return True
    return i + 1 < len(tokens) and (word, tokens[i + 1].plain) in _TWO


def _marker_after(tokens: Sequence[Token], end: int) -> str | None:
    if end < len(tokens) and tokens[end].seg == tokens[end - 1].seg and not tokens[end].soft:
        return _AFTER.get(tokens[end].plain)
    return None


# Type words that a name could also start with ("Xà", "Quan Sơn"): a mention starting with one
# of these, spelt like the type word and not itself typed, reads as type word + name instead.
_TYPE_SPELLING: Final = {
    "xa": "xã",
    "phuong": "phường",
    "quan": "quận",
    "huyen": "huyện",
    "tinh": "tỉnh",
}


_TYPE_ACCENTS: Final = {plain: accent_sig(word) for plain, word in _TYPE_SPELLING.items()}


def _spelt_as_type(token: Token) -> bool:
    """Written without diacritics or with exactly the type word's ("xa", "xã"; not "xá")."""
    accented = _TYPE_SPELLING.get(token.plain)
    return accented is None or token.accent in (token.plain, _TYPE_ACCENTS[token.plain])


def _type_word_first(tokens: Sequence[Token], i: int) -> bool:
    return tokens[i].plain in _ONE and _spelt_as_type(tokens[i])


def _found(
    tokens: Sequence[Token], names: Mapping[str, Collection[str]], max_words: int
) -> list[Mention]:
    """Every span of one comma segment (all of `tokens`) that names a known place, left to
    right, before `_kept`; linear in len(tokens). Run once per distinct segment (`_segment`).
    `names` is the index's: a name's key -> its spaced forms, the start of longer ones -> ().

    Per token it first notes the run it is in: inside a ward name after its type word but
    not its first word ("xã Đông Trà Bồng": `inner`), inside a hamlet or street name ("bản Nà
    Làng", "đường Lê Lợi": `hamlet`). A span of several words must split where the name does
    ("so nha" is not "Sơn Hà"); a glued alias of the data ("sonha") cannot say, so it is
    trusted over several words only with a type word ("xã Sơn Hà")."""
    n = len(tokens)
    plains = [t.plain for t in tokens]
    found: list[Mention] = []
    new = tuple.__new__
    run: str | None = None
    before_hamlet = False  # whether the token before i is inside a hamlet or street name
    for i in range(n):
        plain = plains[i]
        mark = None  # only type and hamlet words (and their bigrams) mark what follows
        if i and (
            plains[i - 1] in _MARK_WORDS or (i >= 2 and (plains[i - 2], plains[i - 1]) in _TWO)
        ):
            mark = marker_before(tokens, i)
        soft = tokens[i].soft
        if soft:
            run = None  # after " - ": "Tô Hiệu - Thường Tín District"
        if mark is not None:
            run = mark
        at_place = i > 0 and _spelt_as(tokens[i - 1], _AT_ACCENTS)
        if at_place and mark is None:
            run = None  # "gần chợ ở Cốc Lầu": the landmark's name ends at "ở"
        inner = mark is None and run in WARD_MARKS
        hamlet = False
        if run == EXCLUDE:
            hamlet = True
            if plain.isdigit():
                run = None  # "tổ 7 Kim Ngân": a hamlet's number ends its name
        if plain in names:  # else no name starts with this word
            if mark == EXCLUDE:
                mark = None
            # "tổ 7 Kim Ngân": a name right after a hamlet's number starts afresh
            at_start = (i == 0 or soft or at_place
                        or (before_hamlet and plains[i - 1].isdigit()))
            key = ""
            stop = i + max_words
            for j in range(i, stop if stop < n else n):
                key += plains[j]
                forms = names.get(key)
                if not forms:
                    if forms is None:
                        break  # no longer name starts with these words
                    continue  # only the start of longer names
                after = _AFTER.get(plains[j + 1]) if j + 1 < n and not tokens[j + 1].soft else None
                if (
                    j > i  # several words must split where the name does
                    and " ".join(plains[i : j + 1]) not in forms
                    and ((mark or after) is None or "*" not in forms)
                ):
                    continue
                found.append(new(Mention, (i, j + 1, key, mark, after, hamlet, inner, at_start)))
        before_hamlet = hamlet
    return found


def _kept(tokens: Sequence[Token], found: list[Mention]) -> list[Mention]:
    """`found` less the type words read as names: "Xa Son Thuy" is xã + name when a name
    starts after the type word; kept otherwise ("Quan Triều Ward", "Phượng Tiến")."""
    starts = {m.start for m in found}
    return [
        m
        for m in found
        if m.prefix is not None
        or m.postfix is not None
        or m.start + 1 not in starts
        or not _type_word_first(tokens, m.start)
    ]


def find(
    tokens: Sequence[Token], names: Mapping[str, Collection[str]], max_words: int
) -> list[Mention]:
    """Every span that names a known place, left to right; linear in len(tokens). A span of
    several words must split where the name does: "so nha" is not "Sơn Hà". A mention never
    crosses a comma, so each segment is searched alone."""
    found: list[Mention] = []
    start = 0
    while start < len(tokens):
        end = start + 1
        while end < len(tokens) and tokens[end].seg == tokens[start].seg:
            end += 1
        for m in _found(tokens[start:end], names, max_words):
            found.append(m._replace(start=m.start + start, end=m.end + start))
        start = end
    return _kept(tokens, found)


@lru_cache(maxsize=1 << 14)
def _segment(part: str, seg: int) -> tuple[tuple[Token, ...], tuple[Mention, ...], bool]:
    """Tokens and mentions of one comma segment, positions counted from its start, and whether
    `_kept` may drop one of them (an untyped mention starting with a type word). Cached:
    segments recur ("Huyện Cầu Ngang", "Tỉnh Đồng Nai"); the bound keeps memory bounded."""
    ix = index.get()
    tokens = segment_tokens(part, seg)
    found = _found(tokens, ix.names, ix.max_words)
    return tuple(tokens), tuple(found), _droppable(tokens, found)


def _droppable(tokens: Sequence[Token], found: list[Mention]) -> bool:
    """May `_kept` drop one of `found`: an untyped mention starting with a type word?"""
    for m in found:
        if m.prefix is None and m.postfix is None and _type_word_first(tokens, m.start):
            return True
    return False


def scan(text: str, head: bool = False) -> tuple[list[Token], list[Mention]]:
    """`tokenize(text, head)` and `find` of its tokens with the index's names, a comma segment
    at a time (each cached)."""
    tokens: list[Token] = []
    found: list[Mention] = []
    new = tuple.__new__
    droppable = False
    # lower-cased: one cache entry for "Xã X" and "XÃ X"
    for seg, part in enumerate(segments(text, head, lower=True)):
        seg_tokens, seg_found, seg_droppable = _segment(part, seg)
        droppable = droppable or seg_droppable
        offset = len(tokens)
        tokens.extend(seg_tokens)
        if offset == 0:
            found.extend(seg_found)
        else:
            for m in seg_found:
                found.append(
                    new(Mention, (m[0] + offset, m[1] + offset, m[2], m[3], m[4], m[5], m[6], m[7]))
                )
    if len(tokens) > MAX_TOKENS:  # a long text: cut it as `tokenize` does and search afresh
        ix = index.get()
        tokens = tokens[:MAX_TOKENS] if head else tokens[-MAX_TOKENS:]
        return tokens, find(tokens, ix.names, ix.max_words)
    return tokens, _kept(tokens, found) if droppable else found
