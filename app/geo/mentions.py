"""Finding place-name mentions in a token list, with the unit-type words around them.

A mention is a run of tokens (within one comma segment) whose joined key is a known name. Its
`prefix` is the unit-type word right before it ("xã", "P.", "huyện", "TP"), its `postfix` an
English type word right after it ("Ben Nghe Ward", "Ho Chi Minh City"). A mention right after a
hamlet or street word ("thôn", "ấp", "bản", "đường"...) is `excluded`: hamlets and streets are
often named like a ward somewhere else.
"""

from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

from app.geo.text import Token, accent_sig

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
    "f": "phuong",
    "ward": "phuong",
    "tt": "thitran",
    "ttr": "thitran",
    "township": "thitran",
    "quan": "quan",
    "q": "quan",
    "district": "district",
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


def _excludes(token: Token) -> bool:
    spelt = _EXCLUDER_ACCENTS.get(token.plain)
    return spelt is not None and token.accent in (token.plain, spelt)


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


def _english_prefix(tokens: Sequence[Token], i: int) -> bool:
    """English type words follow names ("Ben Nghe Ward - Go Vap District"); they come first
    only before a number ("Ward 12") or at the start of a segment ("District Go Vap")."""
    first = i == 0 or tokens[i - 1].seg != tokens[i].seg
    return first or (i + 1 < len(tokens) and tokens[i + 1].plain.isdigit())


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


def _runs(tokens: Sequence[Token], marks: Sequence[str | None]) -> tuple[list[bool], list[bool]]:
    """Per token: inside a ward name after its type word but not its first word ("xã Đông
    Trà Bồng"); inside a hamlet or street name ("bản Nà Làng", "đường Lê Lợi")."""
    inner, hamlet = [False] * len(tokens), [False] * len(tokens)
    run: str | None = None
    for i, t in enumerate(tokens):
        if t.soft or (i and tokens[i - 1].seg != t.seg):
            run = None  # a new segment, or after " - ": "Tô Hiệu - Thường Tín District"
        if marks[i] is not None:
            run = marks[i]
        inner[i] = marks[i] is None and run in WARD_MARKS
        hamlet[i] = run == EXCLUDE
        if run == EXCLUDE and t.plain.isdigit():
            run = None  # "tổ 7 Kim Ngân": a hamlet's number ends its name
    return inner, hamlet


def find(
    tokens: Sequence[Token],
    keys: frozenset[str],
    max_words: int,
    splits: Mapping[str, frozenset[str]],
) -> list[Mention]:
    """Every span that names a known place, left to right; linear in len(tokens). A span of
    several words must split where the name does: "so nha" is not "Sơn Hà"."""
    found: list[Mention] = []
    marks = [marker_before(tokens, i) for i in range(len(tokens))]
    inner, hamlet = _runs(tokens, marks)
    for i, first in enumerate(tokens):
        prefix = marks[i]
        key = ""
        for j in range(i, min(i + max_words, len(tokens))):
            if tokens[j].seg != first.seg:
                break
            key += tokens[j].plain
            if key not in keys:
                continue
            mark = None if prefix == EXCLUDE else prefix
            after = _marker_after(tokens, j + 1)
            if j > i and not _aligned(tokens, i, j, splits[key], mark or after):
                continue
            at_start = i == 0 or tokens[i - 1].seg != first.seg or first.soft
            # "tổ 7 Kim Ngân": a name right after a hamlet's number starts afresh
            at_start = at_start or (hamlet[i - 1] and tokens[i - 1].plain.isdigit())
            found.append(Mention(i, j + 1, key, mark, after, hamlet[i], inner[i], at_start))
    starts = {m.start for m in found}
    return [m for m in found if not _reads_as_type_word(tokens, m, starts)]


def _aligned(
    tokens: Sequence[Token], i: int, j: int, forms: frozenset[str], typed: str | None
) -> bool:
    """Do the words split where the name does? A glued alias of the data ("sonha") cannot
    say, so it is trusted over several words only with a type word ("xã Sơn Hà")."""
    if " ".join(t.plain for t in tokens[i : j + 1]) in forms:
        return True
    return typed is not None and "*" in forms


def _reads_as_type_word(tokens: Sequence[Token], m: Mention, starts: set[int]) -> bool:
    """ "Xa Son Thuy" is xã + name when a name starts after the type word; kept otherwise
    ("Quan Triều Ward", "Phượng Tiến")."""
    untyped = m.prefix is None and m.postfix is None
    return untyped and m.start + 1 in starts and _type_word_first(tokens, m.start)
