"""Normalising report text into tokens with two spellings: with diacritics and folded.

Callers type with and without Vietnamese diacritics, in two tone-placement styles ("hoà" and
"hòa"), sometimes in HTML, and in English. Matching works on word tokens, so phrases match on
word boundaries by construction and the cost is linear in the number of tokens.
"""

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Bounded patterns only: a tag is at most 300 characters, so a stray "<" costs nothing.
_TAG = re.compile(r"<[^<>]{0,300}>")
_NOT = re.compile(r"n['’]t\b")  # English "didn't" -> "did not", so "not" is a negator token
# Contractions whose stem changes: "can't" is "can not" (not "ca not"), "won't" "will not".
_IRREGULAR_NOT = re.compile(r"\b(?:(ca)|(wo)|(sha))n['’]t\b")
_IRREGULAR_STEM = {"ca": "can", "wo": "will", "sha": "shall"}
# "until 2 a.m. every night": the dots of "a.m."/"p.m." end no sentence when the text goes on in
# lower case (a clock time stays in the sentence of what it dates); before a capital, one stays.
# Glued to its number like "2am" ("5 p.m. until 8 p.m." is "5pm until 8pm", no bare "pm until").
_CLOCK_DOTS_ON = re.compile(r"(?:(?<=\d)\s?|\b)([aApP])\.[mM]\.(?=\s+[a-z0-9])")
_CLOCK_DOTS = re.compile(r"(?:(?<=\d)\s?|\b)([aApP])\.[mM]\.")
_TOKEN = re.compile(r"\w+|[.!?;\n]|[,:\"“”…]")  # brackets: an aside, inside the clause
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = frozenset({".", "!", "?", ";", "\n", "…"})
# Conjunctions that open a new clause: negation and time do not carry across them.
_CLAUSE_WORDS = frozenset({"nhưng", "nhung", "but", "however"})
_TONE_MARKS = frozenset({"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"})
# Chat shorthand ("ko", "dc", "bj", "e"), spelled out: with diacritics in a text typed with
# them, without in one typed without, so that phrases match either way ("e ko muon song nua").
_SHORTHAND: dict[str, str] = {
    **dict.fromkeys(("ko", "k", "kh", "khg", "kg", "k0", "kô", "hok", "hông", "khum", "hem",
                     "hk", "hổng", "khô"), "không"),
    **dict.fromkeys(("dc", "đc", "dk", "đk", "dx", "đx", "đươc"), "được"),
    **dict.fromkeys(("mk", "mik", "mh"), "mình"),
    **dict.fromkeys(("mún", "mun"), "muốn"),
    **dict.fromkeys(("cx", "cg"), "cũng"),
    **dict.fromkeys(("đag", "dag", "đg"), "đang"),
    **dict.fromkeys(("bít", "bik", "bjk"), "biết"),
    **dict.fromkeys(("hum", "hôm"), "hôm"),
    **dict.fromkeys(("nhìu", "nhiu"), "nhiều"),
    **dict.fromkeys(("đt", "dt"), "điện thoại"),
    **dict.fromkeys(("sdt", "sđt"), "số điện thoại"),
    **dict.fromkeys(("nt", "ib"), "nhắn tin"),
    **dict.fromkeys(("cj", "chj"), "chị"),
    **dict.fromkeys(("oy", "ròi"), "rồi"),
    "e": "em", "j": "gì", "ng": "người", "ngta": "người ta", "nhg": "nhưng", "vs": "với",
    "bj": "bây giờ", "r": "rồi", "ms": "mới", "trc": "trước", "ns": "nói", "bme": "bố mẹ",
    "ntn": "như thế nào", "wa": "qua", "ck": "chồng", "vk": "vợ", "ny": "người yêu",
    "hnay": "hôm nay", "hqua": "hôm qua", "mn": "mọi người", "ch": "chưa", "lm": "làm",
    "kbh": "không bao giờ", "kbg": "không bao giờ", "hs": "học sinh", "gv": "giáo viên",
    "kb": "không biết",
}
# "hem" is chat shorthand for "không" and also "hẻm" (an alley) typed without diacritics: after
# these words it is the alley ("vào 1 con hem tối rồi ép em ..."), left as it is.
_ALLEY_BEFORE = frozenset({"con", "vào", "vao", "vô", "vo", "trong", "cuối", "cuoi", "đầu", "dau",
                           "ngõ", "ngo", "1", "một", "mot", "cái", "cai", "ra", "qua", "kiệt",
                           "kiet", "ngách", "ngach"})
# "14t", "14tuoi", "3h", "10g": a number glued to its unit.
_GLUED = re.compile(r"(\d{1,2})(t|tuổi|tuoi|h|g|giờ|gio|yo|yrs|yr)")
_GLUED_UNIT = {"t": "tuổi", "tuổi": "tuổi", "tuoi": "tuổi", "h": "giờ", "g": "giờ",
               "giờ": "giờ", "gio": "giờ", "yo": "yo", "yrs": "yrs", "yr": "yrs"}


@lru_cache(maxsize=65536)
def canon_word(word: str) -> str:
    """Put the tone mark of a final "oa", "oe", "uy" on the first vowel ("hoà" -> "hòa")."""
    d = unicodedata.normalize("NFD", word)
    if (
        len(d) >= 3
        and d[-1] in _TONE_MARKS
        and d[-2] in "aey"
        and d[-3] in "ou"
        and not (d[-3] == "u" and d[-4:-3] == "q")  # "quý": the "u" belongs to "qu"
    ):
        d = d[:-2] + d[-1] + d[-2]
    return unicodedata.normalize("NFC", d)


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """Strip diacritics; "đ" becomes "d"."""
    d = unicodedata.normalize("NFD", word.replace("đ", "d"))
    return "".join(c for c in d if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Tokens:
    words: tuple[str, ...]  # lower case, NFC, canonical tone placement
    folded: tuple[str, ...]  # the same words without diacritics
    clause: tuple[int, ...]  # clause number of each token
    sentence: tuple[int, ...]  # sentence number of each token
    accented: bool = True  # typed with diacritics (a fifth of the words or more)

    def __len__(self) -> int:
        return len(self.words)


def clean_text(text: str) -> str:
    """NFC, lower case, HTML tags and entities removed, English contractions opened."""
    text = unicodedata.normalize("NFC", text)
    if ".m." in text or ".M." in text:
        text = _CLOCK_DOTS.sub(r"\1m.", _CLOCK_DOTS_ON.sub(r"\1m", text))
    text = html.unescape(_TAG.sub(" ", text)).lower()
    text = _IRREGULAR_NOT.sub(lambda m: _IRREGULAR_STEM[str(m.group(m.lastindex or 1))] + " not",
                              text)
    return _NOT.sub(" not", text)


def _expand(tok: str, accented: bool) -> list[str]:
    """A shorthand or a glued number spelled out ("ko" -> "không", "14t" -> "14 tuổi")."""
    full = _SHORTHAND.get(tok)
    if full is None:
        m = _GLUED.fullmatch(tok)
        if m is None:
            return [tok]
        full = m.group(1) + " " + _GLUED_UNIT[m.group(2)]
    return (full if accented else fold_word(full)).split()


def _accented(text: str) -> bool:
    """Whether the text is typed with diacritics (a fifth of its letters' words or more)."""
    words: list[str] = _WORD.findall(text)
    marked = sum(1 for w in words if fold_word(w) != w)
    return bool(words) and marked * 5 >= len(words)


def tokenize(text: str) -> Tokens:
    """Split cleaned text into word tokens, numbering clauses and sentences."""
    words: list[str] = []
    clauses: list[int] = []
    sentences: list[int] = []
    clause = sentence = 0
    pending_break = number_comma = False
    cleaned = clean_text(text)
    accented = _accented(cleaned)
    for m in _TOKEN.finditer(cleaned):
        tok = m.group()
        if tok in _SENTENCE_END:
            sentence += 1
            pending_break = True
            continue
        if not (tok[0].isalnum() or tok[0] == "_"):
            # "chừng 9, 10 tuổi": a comma between two numbers is a range, not a clause break
            number_comma = tok == "," and not pending_break and bool(words) and words[-1].isdigit()
            pending_break = True
            continue
        if number_comma and tok.isdigit():
            pending_break = False
        number_comma = False
        if pending_break or tok in _CLAUSE_WORDS:
            clause += 1
            pending_break = False
        glued = len(tok) <= 7 and not (tok == "k" and words and words[-1].isdigit())  # "50 k"
        if tok == "hem" and words and words[-1] in _ALLEY_BEFORE:
            glued = False
        for word in _expand(tok, accented) if glued else (tok,):
            words.append(canon_word(word))
            clauses.append(clause)
            sentences.append(sentence)
    return Tokens(
        words=tuple(words),
        folded=tuple(fold_word(w) for w in words),
        clause=tuple(clauses),
        sentence=tuple(sentences),
        accented=accented,
    )


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """The tokens of a lexicon phrase, normalised exactly like report text."""
    return tokenize(phrase).words
