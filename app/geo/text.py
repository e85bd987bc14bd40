"""Text normalisation for address matching: folding, tokens, segments and unit-type markers.

Everything here is linear in the input (one regex of single character classes, no nested
quantifiers), and callers cap the input first, so hostile text cannot make matching slow.
"""

import re
import unicodedata
from functools import lru_cache
from typing import Final, NamedTuple

# Only the tail of an address matters (units come last) and capping keeps the work bounded.
MAX_CHARS: Final = 600
MAX_TOKENS: Final = 64

_DROP = str.maketrans("", "", "'’‘`´ʼ")  # apostrophes inside names: Cư M'gar, Ea H’leo
_SEGMENT = re.compile(r"[,;|/\\\n\r\t()\[\]{}<>:]+")
_WORD = re.compile(r"[^\W_]+")
_DASH = re.compile(r"\s[-‐‑‒–—]+\s")
# "p12", "q.3" written without a space: split the abbreviation from its number.
_GLUED = re.compile(r"^(p|f|q|x|h|phuong|quan|ward|district)(\d{1,3})$")


class Token(NamedTuple):  # a NamedTuple: built ~10 times per address, cheaper than a dataclass
    plain: str  # ascii, lower case: "thoi"
    accent: str  # diacritics kept but placement-insensitive: "hòa" == "hoà"
    seg: int  # comma-separated segment number
    soft: bool = False  # follows a spaced dash: "Xã A - Huyện B" (names contain them too)


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord("đ"): "d", ord("Đ"): "d"}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = "".join(
            c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c)
        )
        if len(base) == 1 and base != chr(cp):
            table[cp] = base.lower()
    table.update(dict.fromkeys(range(0x300, 0x370)))  # stray combining marks
    return table


_FOLD: Final = _fold_table()


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d): what callers type without a Vietnamese keyboard."""
    return text.lower().translate(_FOLD)


def accent_sig(word: str) -> str:
    """Per-word signature keeping diacritics, insensitive to old/new tone placement (hoà/hòa)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    marks = "".join(sorted(c for c in decomposed if unicodedata.combining(c)))
    return base + marks


def _norm_number(word: str) -> str:
    return str(int(word[:6])) if word.isascii() and word.isdigit() else word


@lru_cache(maxsize=1 << 16)
def _word(raw: str) -> tuple[tuple[str, str], ...]:
    """(plain, accent) of one written word, two for "p12". Cached: callers reuse the same few
    thousand syllables, and a hostile input cannot grow the cache past its bound."""
    plain = fold(raw)
    glued = _GLUED.match(plain)
    if glued:
        number = _norm_number(glued.group(2))
        return (glued.group(1), glued.group(1)), (number, number)
    if plain.isascii() and plain.isdigit():
        return ((_norm_number(plain), _norm_number(plain)),)
    return ((plain, accent_sig(raw)),)


Pairs = tuple[tuple[str, str], ...]
# `_word` and `accent_words_of` of the words and names of the index, worked out when the index
# was built (`know`): most words callers type are the words of names, so few are left to work
# out per request.
_known_words: dict[str, Pairs] = {}
_known_names: dict[str, tuple[str, ...]] = {}


def know(words: dict[str, Pairs], names: dict[str, tuple[str, ...]]) -> None:
    """Take the index's precomputed `word_pairs` (by word) and `accent_words_of` (by name)."""
    global _known_words, _known_names
    _known_words, _known_names = words, names


def _raw_words(text: str) -> list[str]:
    """`_WORD.findall(text)`: runs of alphanumeric characters (str.isalnum, as `\\w` is
    defined, less "_"). Text of such runs, dots and spaces only is split without the regex."""
    spaced = text.replace(".", " ")
    if spaced.replace(" ", "").isalnum():
        return spaced.split()
    return _WORD.findall(text)


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    known = _known_words
    word = _word
    for raw in _raw_words(text):
        pairs += known.get(raw) or word(raw)
    return pairs


def word_pairs(raw: str) -> Pairs:
    """(plain, accent) of one written word, two for "p12" (what `know` takes)."""
    return _word(raw)


def written_words(name: str) -> set[str]:
    """The words of a name as callers write them, lower case: with and without diacritics."""
    words = _WORD.findall(unicodedata.normalize("NFC", name).translate(_DROP).lower())
    return {*words, *map(fold, words)}


@lru_cache(maxsize=1 << 14)
def _words(segment: str) -> tuple[tuple[str, str], ...]:
    # Cached too: province and hamlet segments recur from one address to the next.
    return tuple(_pairs(segment))


_DROP_ANY = re.compile("[" + "".join(map(chr, _DROP)) + "]")


def segments(text: str, head: bool = False, lower: bool = False) -> list[str]:
    """The comma segments of the last MAX_CHARS characters (with `head`, the first ones),
    normalised (NFC, apostrophes dropped); with `lower`, each lower-cased where that keeps
    its tokens (see `lower_case`)."""
    text = text[:MAX_CHARS] if head else text[-MAX_CHARS:]
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if _DROP_ANY.search(text):
        text = text.translate(_DROP)
    if lower:
        lowered = text.lower()
        if len(lowered) == len(text) and "Σ" not in text:  # then so for each segment
            return _SEGMENT.split(lowered)
        return [lower_case(part) for part in _SEGMENT.split(text)]
    return _SEGMENT.split(text)


def lower_case(part: str) -> str:
    """`part` lower-cased, unless lower() is not one character for one (only "İ" grows) or
    depends on context (only "Σ"): then as it is. Tokens ignore case, so both give the same."""
    lowered = part.lower()
    return lowered if len(lowered) == len(part) and "Σ" not in part else part


def segment_tokens(part: str, seg: int) -> list[Token]:
    """Tokens of one comma segment, numbered `seg`."""
    new = tuple.__new__
    pieces = _DASH.split(part)
    if len(pieces) == 1:  # the common case: no spaced dash (and a segment is cached whole)
        return [new(Token, (plain, accent, seg, False)) for plain, accent in _pairs(part)]
    tokens: list[Token] = []
    for n, piece in enumerate(pieces):
        for k, (plain, accent) in enumerate(_words(piece)):
            tokens.append(new(Token, (plain, accent, seg, n > 0 and k == 0)))
    return tokens


def tokenize(text: str, head: bool = False) -> list[Token]:
    """Tokens of the last MAX_CHARS characters, at most MAX_TOKENS of them (the rightmost);
    with `head`, of the first ones instead."""
    tokens: list[Token] = []
    for seg, part in enumerate(segments(text, head)):
        tokens.extend(segment_tokens(part, seg))
    return tokens[:MAX_TOKENS] if head else tokens[-MAX_TOKENS:]


@lru_cache(maxsize=1 << 15)
def words_of(name: str) -> tuple[str, ...]:
    words = _WORD.findall(fold(unicodedata.normalize("NFC", name).translate(_DROP)))
    return tuple(_norm_number(w) for w in words)


def key_of(name: str) -> str:
    """Index key of a name: its folded words joined ("Chân Mây - Lăng Cô" -> "chanmaylangco")."""
    return "".join(words_of(name))


def spaced_of(name: str) -> str:
    """Its folded words with spaces: where a multi-word mention must split ("sơn hà", not the
    "số nhà" that joins to the same key)."""
    return " ".join(words_of(name))


@lru_cache(maxsize=1 << 15)
def accent_words_of(name: str) -> tuple[str, ...]:
    return tuple(a for _, a in _words(unicodedata.normalize("NFC", name).translate(_DROP)))


def name_accents(name: str) -> tuple[str, ...]:
    """`accent_words_of` a unit's name: the index's precomputed ones first."""
    known = _known_names.get(name)
    return known if known is not None else accent_words_of(name)


def accent_key_of(name: str) -> str:
    return "".join(accent_words_of(name))


def word_count(name: str) -> int:
    return len(_WORD.findall(name))
