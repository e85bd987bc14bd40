"""Scanning tokens against the compiled lexicon, and resolving overlapping matches.

The scan walks the two tries from every token: O(tokens x longest phrase), whatever the number
of phrases, so a 10,000-character report costs a few milliseconds and no pattern can backtrack.
"""

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.triage.lexicon import GAP, Entry, GapNode, Gapped, Lexicon, TrieNode
from app.triage.normalize import Tokens


@dataclass(frozen=True, slots=True, order=True)
class Match:
    start: int  # first token
    end: int  # one past the last token
    group: str


def _plain(toks: Tokens, start: int, end: int) -> bool:
    """A folded phrase stands only on words typed without diacritics: in a text typed with
    them, "bí danh" (an alias) is not "bị đánh" (beaten), nor "đánh trong" "đánh trống"."""
    return all(toks.words[k] == toks.folded[k] for k in range(start, end))


def _mixed(toks: Tokens, start: int, end: int, vi: tuple[str, ...] | None) -> bool:
    """Text typed half with diacritics: each word is either typed without them or spelled
    exactly as the phrase spells it ("bi đánh", "bị danh" read as "bị đánh"; "bí danh" is
    still no "bị đánh", since "bí" is neither). Only in a text typed mostly without them: where
    diacritics are the rule, a bare word is meant as typed ("đánh trong" is no "đánh trống")."""
    if vi is None or toks.accented or len(vi) != end - start:
        return False
    return all(toks.words[k] == toks.folded[k] or toks.words[k] == vi[k - start]
               for k in range(start, end))


def _walk(root: TrieNode, seq: tuple[str, ...], clause: tuple[int, ...], start: int
          ) -> Iterator[tuple[Entry, int]]:
    """Every phrase of the trie starting at `start`, within one clause."""
    node = root.children.get(seq[start])
    end = start
    while node is not None:
        end += 1
        for entry in node.entries:
            yield entry, end
        if end >= len(seq) or clause[end] != clause[start]:
            return
        node = node.children.get(seq[end])


def scan(lex: Lexicon, toks: Tokens) -> list[Match]:
    found: set[Match] = set()
    for i in range(len(toks)):
        for entry, end in _walk(lex.diacritic, toks.words, toks.clause, i):
            if toks.accented or not entry.accented_only:
                found.add(Match(i, end, entry.group))
        for entry, end in _walk(lex.folded, toks.folded, toks.clause, i):
            if _plain(toks, i, end) or _mixed(toks, i, end, entry.vi):
                found.add(Match(i, end, entry.group))
    return sorted(found)


def scan_gapped(lex: Lexicon, toks: Tokens) -> list[Match]:
    """Gapped phrases ("bị ... đánh"): the left words, then the right ones within GAP words of
    the same clause, the first place they occur; a folded phrase only on words typed without
    diacritics."""
    found: set[Match] = set()
    for root, seq, folded in ((lex.gapped_diacritic, toks.words, False),
                              (lex.gapped_folded, toks.folded, True)):
        for i in range(len(seq)):
            node = root.children.get(seq[i])
            end = i
            while node is not None:
                end += 1
                if node.right is not None:
                    for gap, right_end in _rights(node.right, seq, toks.clause, end):
                        if not folded or _plain(toks, i, right_end):
                            found.add(Match(i, right_end, gap.group))
                if end >= len(seq):
                    break
                node = node.children.get(seq[end])
    return sorted(found)


def _rights(root: GapNode, seq: tuple[str, ...], clause: tuple[int, ...], first: int
            ) -> Iterator[tuple[Gapped, int]]:
    """Each right side of `root` at its first start within GAP words from `first`, in the
    clause of the word before `first`; with the end of that occurrence."""
    seen: set[Gapped] = set()
    for j in range(first, min(len(seq), first + GAP + 1)):
        if clause[j] != clause[first - 1]:
            return
        node = root.children.get(seq[j])
        end = j
        while node is not None:
            end += 1
            for gap in node.phrases:
                if gap not in seen:
                    seen.add(gap)
                    yield gap, end
            if end >= len(seq):
                break
            node = node.children.get(seq[end])


def drop_contained(matches: list[Match]) -> list[Match]:
    """Keep the longest reading: a match inside a longer one is dropped ("ăn hiếp" is bullying,
    not "hiếp"; "đạp xe" is riding a bike, not "đạp"). Matches with the same span are all kept."""
    ordered = sorted(matches, key=lambda m: (m.start, -m.end))
    kept: list[Match] = []
    max_end = -1
    i = 0
    while i < len(ordered):
        j = i
        span = (ordered[i].start, ordered[i].end)
        while j < len(ordered) and (ordered[j].start, ordered[j].end) == span:
            j += 1
        if span[1] > max_end:
            kept.extend(ordered[i:j])
        max_end = max(max_end, span[1])
        i = j
    return kept


class SpanIndex:
    """Answers "is this span inside one of these spans?" in O(log n)."""

    def __init__(self, spans: Iterable[Match]) -> None:
        ordered = sorted(spans)
        self._starts = [m.start for m in ordered]
        self._max_end: list[int] = []
        best = -1
        for m in ordered:
            best = max(best, m.end)
            self._max_end.append(best)

    def covers(self, m: Match) -> bool:
        i = bisect_right(self._starts, m.start) - 1
        return i >= 0 and self._max_end[i] >= m.end
