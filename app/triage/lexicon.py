"""Phrase lists (lexicon YAML files) compiled into token tries.

Each group of phrases is a *signal* (something that happened, with a category) or a *marker*
(time, negation, perpetrator, context). Spellings per group:
- `vi`: Vietnamese with diacritics. Matched on the text with diacritics. A phrase of two or
  more words also matches the text typed without diacritics, unless its folded form is listed
  in `ambiguous_folded`; a single word never does ("danh" is "beat" or a name).
- `vi_only`: with diacritics only, whatever its length ("đấm em": "dam em" is ambiguous). A
  `vi_only` word that has no diacritics of its own ("dao", a knife) matches only in a text typed
  with them: typed without, it is any of "đào", "đạo", "dạo" ("ho dao" is a dug pond).
- `ascii`: Vietnamese typed without diacritics, matched only on words typed without them.
- `en`: English, matched on the lower-cased text.
`{slot}` in a phrase expands to every entry of that slot in `_common.yaml`.
`a ... b` (a gapped phrase) matches "a", then "b" at most `GAP` words later in the same clause
("bi ... danh" reads "bi may ban lop 9 danh" as a beating without diacritics). A `vi` gapped
phrase whose left side folds to a word of `ambiguous_gap_left` ("lạ", "là") is not folded.
"""

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.triage.normalize import fold_word, phrase_tokens

_SLOT = re.compile(r"\{(\w+)\}")
_SPELLINGS = ("vi", "vi_only", "ascii", "en")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: faster start
_BLOCK_KEY = re.compile(r"^( *)(- )?([A-Za-z_][\w-]*):(?:\s|$)")


def _refuse_repeated_keys(text: str, name: str) -> None:
    """A block key given twice under one parent: YAML keeps the last one silently, so a second
    `vi_only:` of a group would drop the first list. Checked on the text (the loader's mapping
    hook would double the load time); keys inside {flow} mappings are not block keys."""
    levels: list[tuple[int, set[str]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _BLOCK_KEY.match(line)
        if m is None:
            continue
        indent = len(m.group(1)) + (2 if m.group(2) else 0)
        while levels and (levels[-1][0] > indent or (m.group(2) and levels[-1][0] == indent)):
            levels.pop()
        if not levels or levels[-1][0] < indent:
            levels.append((indent, set()))
        if m.group(3) in levels[-1][1]:
            raise ValueError(f"{name}:{n}: key {m.group(3)!r} given twice in one mapping")
        levels[-1][1].add(m.group(3))


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    kind: str  # "signal" or "marker"
    attrs: Mapping[str, Any]  # category, negatable, yields, time, window, ...
    vi: tuple[str, ...]
    vi_only: tuple[str, ...]
    ascii: tuple[str, ...]
    en: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    group: str
    # For a Vietnamese phrase in the folded trie: its spelling with diacritics, so that text
    # typed half with them ("bi đánh", "bị danh") matches word by word (matcher._mixed).
    vi: tuple[str, ...] | None = None
    accented_only: bool = False  # a `vi_only` phrase spelled without diacritics


GAP = 5
_GAP_TOKEN = "..."


@dataclass(frozen=True, slots=True)
class Gapped:
    group: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    folded: bool  # matched on the folded words (and only where typed without diacritics)


@dataclass(slots=True)
class GapNode:
    """A trie of gapped phrases: the left sides, and at the end of each the trie of the right
    sides that may follow it (`right`), whose nodes list the phrases ending there (`phrases`)."""

    children: dict[str, "GapNode"] = field(default_factory=dict)
    right: "GapNode | None" = None
    phrases: list[Gapped] = field(default_factory=list)

    def insert(self, gap: Gapped) -> None:
        node = self
        for tok in gap.left:
            node = node.children.setdefault(tok, GapNode())
        node.right = node.right or GapNode()
        node = node.right
        for tok in gap.right:
            node = node.children.setdefault(tok, GapNode())
        if gap not in node.phrases:
            node.phrases.append(gap)


@dataclass(slots=True)
class TrieNode:
    children: dict[str, "TrieNode"] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)

    def insert(self, tokens: Iterable[str], entry: Entry) -> None:
        node = self
        for tok in tokens:
            node = node.children.setdefault(tok, TrieNode())
        if entry not in node.entries:
            node.entries.append(entry)


@dataclass(frozen=True, slots=True)
class Relations:
    """`relations` of `_common.yaml`, folded: the words of a relation that name no one, and one
    spelling per person ("ba" -> "bo")."""

    not_a_person: frozenset[str] = frozenset()
    same_person: Mapping[str, str] = field(default_factory=dict)
    spellings: frozenset[str] = frozenset()  # the listed spellings, with their diacritics

    def person(self, word: str, typed: str | None = None) -> str | None:
        """The person a folded word of a relation names, in one spelling; None for no one.
        `typed` is the word as written: typed with diacritics, a word is read as another
        spelling only when it is listed as written ("bà", a grandmother, is not "ba", a
        father, though both fold to "ba")."""
        if word in self.not_a_person:
            return None
        if typed is not None and typed != word and word in self.same_person and (
                typed not in self.spellings):
            return typed
        return self.same_person.get(word, word)


@dataclass(slots=True)
class Lexicon:
    groups: dict[str, Group]
    diacritic: TrieNode  # phrases with diacritics, matched on `Tokens.words`
    folded: TrieNode  # folded and English phrases, matched on `Tokens.folded`
    gapped: list[Gapped] = field(default_factory=list)
    gapped_diacritic: GapNode = field(default_factory=GapNode)  # matched on `Tokens.words`
    gapped_folded: GapNode = field(default_factory=GapNode)  # matched on `Tokens.folded`
    phrase_count: int = 0
    relations: Relations = field(default_factory=Relations)
    # marker groups with `until`: the folded words that end a match's reach ("xong", "then")
    until: dict[str, frozenset[str]] = field(default_factory=dict)
    # signal groups with `shadows: false`: their matches hide no shorter reading inside them
    no_shadow: frozenset[str] = frozenset()
    # time groups with `reach: sentence`: they date only their own sentence
    sentence_only: frozenset[str] = frozenset()
    # time groups with `weak: true`: a "now" word that does not place a habit in the present
    weak: frozenset[str] = frozenset()


def _word(value: Any) -> str:
    if not isinstance(value, str):  # YAML reads a bare `no` as false: quote it
        raise ValueError(f"relations: {value!r} is not a word (quote it)")
    return fold_word(value.lower())


def load_relations(spec: Mapping[str, Any]) -> Relations:
    """`_common.yaml` `relations`, folded (they are matched on the words without diacritics)."""
    same: dict[str, str] = {}
    listed: set[str] = set()
    for person, spellings in (spec.get("same_person") or {}).items():
        same[_word(person)] = _word(person)
        listed.add(str(person).lower())
        for s in spellings or []:
            same[_word(s)] = _word(person)
            listed.add(str(s).lower())
    return Relations(
        not_a_person=frozenset(_word(w) for w in spec.get("not_a_person") or []),
        same_person=same, spellings=frozenset(listed),
    )


def expand(phrase: str, slots: Mapping[str, list[str]]) -> Iterator[str]:
    """Expand `{slot}` placeholders; a phrase without them is yielded as is."""
    names = _SLOT.findall(phrase)
    if not names:
        yield phrase
        return
    for values in itertools.product(*(slots[n] for n in names)):
        out = phrase
        for name, value in zip(names, values, strict=True):
            out = out.replace("{" + name + "}", value, 1)
        yield out


def _phrases(spec: Mapping[str, Any], key: str, slots: Mapping[str, list[str]],
             group: str) -> tuple[str, ...]:
    raw = [str(item) for item in spec.get(key) or []]
    seen: set[str] = set()
    for item in raw:  # a phrase listed twice hides which copy a reviewer should change
        if item in seen:
            raise ValueError(f"lexicon group {group!r} lists {item!r} twice in {key!r}")
        seen.add(item)
    return tuple(p for item in raw for p in expand(item, slots))


def load_groups(
    docs: Iterable[Mapping[str, Any]], slots: Mapping[str, list[str]]
) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for doc in docs:
        for kind, section in (("signal", "signals"), ("marker", "markers")):
            for name, spec in (doc.get(section) or {}).items():
                if name in groups:
                    raise ValueError(f"lexicon group {name!r} defined twice")
                attrs = {k: v for k, v in spec.items() if k not in _SPELLINGS}
                groups[name] = Group(
                    name=name, kind=kind, attrs=attrs,
                    vi=_phrases(spec, "vi", slots, name),
                    vi_only=_phrases(spec, "vi_only", slots, name),
                    ascii=_phrases(spec, "ascii", slots, name),
                    en=_phrases(spec, "en", slots, name),
                )
    return groups


def _add_gapped(lex: Lexicon, group: str, phrase: str, folded: bool, also_fold: bool,
                ambiguous: frozenset[str] = frozenset()) -> None:
    """A gapped phrase; its folded form too unless its left side folds to a word listed in
    `ambiguous_gap_left` ("lạ ... lôi" folds to "la ... loi", which "là em xin lỗi" reads)."""
    left, _, right = phrase.partition(_GAP_TOKEN)
    lt, rt = phrase_tokens(left), phrase_tokens(right)
    if not (lt and rt):
        raise ValueError(f"gapped phrase {phrase!r} needs words on both sides of '...'")
    if not folded and " ".join(_fold(lt)) in ambiguous:
        also_fold = False
    if not folded:
        lex.gapped.append(Gapped(group, lt, rt, folded=False))
    if folded or also_fold:
        lex.gapped.append(Gapped(group, _fold(lt), _fold(rt), folded=True))


def _fold(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(fold_word(t) for t in tokens)


def compile_lexicon(
    groups: dict[str, Group], ambiguous_folded: Iterable[str], relations: Relations | None = None,
    ambiguous_gap_left: Iterable[str] = (),
) -> Lexicon:
    ambiguous = {" ".join(fold_word(t) for t in phrase_tokens(a)) for a in ambiguous_folded}
    gap_left = frozenset(" ".join(fold_word(t) for t in phrase_tokens(a))
                         for a in ambiguous_gap_left)
    lex = Lexicon(groups=groups, diacritic=TrieNode(), folded=TrieNode(),
                  relations=relations or Relations(),
                  no_shadow=frozenset(g.name for g in groups.values()
                                      if g.attrs.get("shadows") is False),
                  sentence_only=frozenset(g.name for g in groups.values()
                                          if g.attrs.get("reach") == "sentence"),
                  weak=frozenset(g.name for g in groups.values() if g.attrs.get("weak")))
    for g in groups.values():
        if "until" in g.attrs:
            lex.until[g.name] = frozenset(fold_word(str(w).lower()) for w in g.attrs["until"])
        only = set(g.vi_only)
        for phrase in (*g.vi, *g.vi_only):
            if _GAP_TOKEN in phrase:
                _add_gapped(lex, g.name, phrase, folded=False, also_fold=phrase not in only,
                            ambiguous=gap_left)
                continue
            toks = phrase_tokens(phrase)
            if not toks:
                continue
            folded = tuple(fold_word(t) for t in toks)
            lex.diacritic.insert(toks, Entry(g.name, accented_only=phrase in only
                                             and folded == toks))
            if len(toks) > 1 and phrase not in only and " ".join(folded) not in ambiguous:
                lex.folded.insert(folded, Entry(g.name, vi=toks))
            lex.phrase_count += 1
        for phrase in (*g.ascii, *g.en):
            if _GAP_TOKEN in phrase:
                _add_gapped(lex, g.name, phrase, folded=True, also_fold=False)
                continue
            toks = tuple(fold_word(t) for t in phrase_tokens(phrase))
            if toks:
                lex.folded.insert(toks, Entry(g.name))
                lex.phrase_count += 1
    for gap in lex.gapped:  # in tries: the scan stays O(tokens), whatever their number
        (lex.gapped_folded if gap.folded else lex.gapped_diacritic).insert(gap)
    return lex


def read_yaml_dir(directory: Path) -> list[tuple[Path, Any]]:
    """Every YAML file of a directory, sorted by name (so the digest is stable)."""
    out = []
    for p in sorted(directory.glob("*.yaml")):
        text = p.read_text(encoding="utf-8")
        _refuse_repeated_keys(text, p.name)
        out.append((p, yaml.load(text, Loader=_LOADER)))
    return out
