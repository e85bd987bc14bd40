"""What a report's text says once scanned: signals, negation, time, ages; all lookups O(log n).

Scopes: a *clause* ends at a comma, a colon, a quote or "nhưng"/"but"; a *sentence* at
. ! ? ; or a line break. Negation works within a clause, a few words back; time comes from the
nearest time word of the clause, else of the sentence, else of the whole text.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass

from app.triage.lexicon import Lexicon
from app.triage.matcher import Match, SpanIndex, drop_contained, scan, scan_gapped
from app.triage.normalize import Tokens, tokenize

_AGE_UNITS = frozenset({"tuổi", "tuoi", "yo", "yrs", "y"})
_YEAR_UNITS = frozenset({"year", "years", "yr", "yrs"})
_MONTH_UNITS = frozenset({"tháng", "thang", "ngày", "ngay", "tuần", "tuan", "month", "months",
                          "week", "weeks"})
_LIST_WORDS = frozenset({"và", "va", "and", "or", "hoặc", "hoac", "với", "voi"})
_ABOUT = frozenset({"about", "around", "approximately", "roughly", "khoảng", "tầm", "chừng",
                    "khoang", "tam", "chung"})
_CHILD_NOUNS = frozenset({"girl", "boy", "child", "kid", "son", "daughter", "baby", "toddler",
                          "bé", "be", "cháu", "chau", "trẻ", "tre", "em", "con", "thằng",
                          "thang", "đứa", "dua"})
_NUMBER_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8,
    "chín": 9, "mười": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
}
MAX_CHILD_AGE = 17
# Words that end a negation's reach: "không bán hết thì bị đánh" (if not ..., then beaten).
_NEGATION_STOPS = frozenset({"thì", "thi", "mà", "nên", "vì", "then", "or", "because"})

# words of an age told in passing besides the number and its unit: "now aged 12", "giờ đã 12 tuổi"
_AGE_ASIDE_WORDS = frozenset({"aged", "age", "old", "đã", "được", "lên", "tròn"})


@dataclass(frozen=True, slots=True)
class TimeMark:
    match: Match
    time: str  # now, recent, habitual, past


def _number(word: str) -> int | None:
    if word.isdigit() and len(word) <= 2:
        return int(word)
    return _NUMBER_WORDS.get(word)


def text_ages(toks: Tokens) -> tuple[int, ...]:
    """Children's ages written in the text ("bé 4 tuổi", "a 14-year-old", "3 tháng tuổi")."""
    ages: list[int] = []
    w = toks.words
    for i in range(len(w)):
        n = _number(w[i])
        if n is None:
            continue
        nxt = w[i + 1] if i + 1 < len(w) else ""
        after = w[i + 2] if i + 2 < len(w) else ""
        if nxt in _MONTH_UNITS and after in _AGE_UNITS | {"old"}:
            ages.append(0)
        elif (nxt in _AGE_UNITS or (nxt in _YEAR_UNITS and after == "old")
              or (i > 0 and w[i - 1] in ("aged", "age")) or _about_age(toks, i)):
            ages.append(n)
            if nxt in _AGE_UNITS or nxt in _YEAR_UNITS:
                ages.extend(_listed_before(w, i))
    return tuple(a for a in ages if 0 <= a <= MAX_CHILD_AGE)


def _listed_before(w: tuple[str, ...], i: int) -> list[int]:
    """The other ages of a list that ends with its unit: "4, 6 và 9 tuổi", "aged 2 and 7 years"."""
    out: list[int] = []
    j = i - 1
    while j >= max(0, i - 8):
        n = _number(w[j])
        if n is not None:
            out.append(n)
        elif w[j] not in _LIST_WORDS:
            break
        j -= 1
    return out


def _about_age(toks: Tokens, i: int) -> bool:
    """"the girl next door, about 5," / "một bé khoảng 4, đứng khóc": a bare number after
    "about" that ends its clause, a child named just before."""
    w = toks.words
    if i == 0 or w[i - 1] not in _ABOUT:
        return False
    if i + 1 < len(w) and toks.clause[i + 1] == toks.clause[i]:
        return False
    return any(x in _CHILD_NOUNS for x in w[max(0, i - 6):i - 1])


def _bounds(ids: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for pos, i in enumerate(ids):
        lo, _ = out.get(i, (pos, pos))
        out[i] = (lo, pos + 1)
    return out


class Doc:
    """A scanned report: signal matches (negated ones set apart) and markers, indexed."""

    def __init__(self, lex: Lexicon, text: str) -> None:
        self.toks = tokenize(text)
        found = scan(lex, self.toks)
        # a group with `shadows: false` keeps the shorter readings inside its matches (at_edge_now
        # holds the old suicide_plan edge phrases: "ngồi trên mép lan can cầu" is both)
        signal_matches = [m for m in found if lex.groups[m.group].kind == "signal"]
        apart = [m for m in signal_matches if m.group in lex.no_shadow]
        phrases = drop_contained([m for m in signal_matches if m.group not in lex.no_shadow])
        if apart:
            kept = set(drop_contained(signal_matches))
            phrases += [m for m in apart if m in kept]
        gapped = scan_gapped(lex, self.toks)
        phrases += self._gapped(lex, phrases, gapped)
        found += [m for m in gapped if lex.groups[m.group].kind != "signal"]
        markers = self._markers(lex, found, phrases)
        self._drop_age_asides(lex, markers)
        signals = sorted(m for m in phrases if not lex.groups[m.group].attrs.get("neutral"))
        self._clauses = _bounds(self.toks.clause)
        self._sentences = _bounds(self.toks.sentence)
        self._markers_by_group = markers
        self.negated: dict[Match, Match] = {}
        negators = sorted(m for g, ms in markers.items() if lex.groups[g].attrs.get("negator")
                          and not lex.groups[g].attrs.get("negates") for m in ms)
        neg_starts = [n.start for n in negators]
        for s in signals:
            if lex.groups[s.group].attrs.get("negatable", True):
                neg = self._negator(negators, neg_starts, s)
                if neg is not None:
                    self.negated[s] = neg
        self._carry_negation(lex, markers, signals)
        self._negate_markers(lex, markers, negators, neg_starts)
        self._negate_scoped(lex, markers, signals)
        self.signals = [s for s in signals if s not in self.negated]
        self._by_name: dict[str, list[Match]] = defaultdict(list, markers)
        for s in self.signals:
            self._by_name[s.group].append(s)
        self._starts = {g: [m.start for m in ms] for g, ms in self._by_name.items()}
        self._time_marks(lex)
        self.ages = text_ages(self.toks)
        self._until = lex.until

    def _gapped(self, lex: Lexicon, phrases: list[Match], gapped: list[Match]) -> list[Match]:
        """Gapped phrases whose last word was not already read: by a phrase of their group, by
        an everyday phrase, or as the tail of a longer phrase ("bị ngã xe đạp" is no "bị ...
        đạp"); a phrase that only starts there is its object ("dọa ... tung ảnh nóng"). A
        `bare` group's word ("một mình") reads nothing away from them."""
        covering: dict[int, list[Match]] = defaultdict(list)
        for p in phrases:
            if lex.groups[p.group].attrs.get("bare"):  # a bare word hides no longer phrase
                continue
            for k in range(p.start, p.end):
                covering[k].append(p)
        out: list[Match] = []
        for m in gapped:
            last = m.end - 1
            if lex.groups[m.group].kind != "signal":
                continue
            # Its first word opens an everyday phrase that reaches into the gap: "cho biết chị
            # lấy chồng" (reports that ...) is no "cho ... lấy chồng" (marrying a child off).
            if any(lex.groups[p.group].attrs.get("neutral") and p.start == m.start
                   and m.start + 1 < p.end <= last for p in covering.get(m.start, ())):
                continue
            if not any(p.group == m.group or p.start < last or lex.groups[p.group].attrs.get(
                    "neutral") or lex.groups[p.group].attrs.get("reciprocal")
                    for p in covering.get(last, ())):
                out.append(m)
        return out

    def _drop_age_asides(self, lex: Lexicon, markers: dict[str, list[Match]]) -> None:
        """"our daughter, now 12, was groped ...": a time word alone in its clause with a number
        after it is the child's age told in passing, not the time of what happened ("now 4 boys
        are beating him" goes on in its clause: still now)."""
        for g in [g for g in markers if "time" in lex.groups[g].attrs]:
            kept = [m for m in markers[g] if not self._age_aside(m)]
            if kept:
                markers[g] = kept
            else:
                del markers[g]

    def _age_aside(self, m: Match) -> bool:
        """The marker opens its clause and the rest is one number and age words ("now 12",
        "now aged 12", "giờ đã 12 tuổi")."""
        clause, words = self.toks.clause, self.toks.words
        if m.start > 0 and clause[m.start - 1] == clause[m.start]:
            return False
        rest = [w for i, w in enumerate(words) if i >= m.end and clause[i] == clause[m.start]]
        numbers = [w for w in rest if _number(w) is not None]
        allowed = _AGE_ASIDE_WORDS | _AGE_UNITS | _YEAR_UNITS
        return len(numbers) == 1 and all(w in numbers or w in allowed for w in rest)

    @staticmethod
    def _markers(lex: Lexicon, found: list[Match], signals: list[Match]) -> dict[str, list[Match]]:
        """Markers by group; a negator inside a signal ("không cho ăn") or inside a phrase that
        only looks negative ("không những") negates nothing."""
        inside_signal = SpanIndex(signals)
        cancel = SpanIndex(m for m in found if lex.groups[m.group].attrs.get("cancels_negation"))
        # Relation and time words: the longest reading wins ("bạn trai" is a partner, not
        # "bạn"; "hay nghe tiếng" is habitual, not "nghe tiếng"); a time word inside an
        # everyday phrase is none ("bình thường" is not "thường").
        shadowed: set[Match] = set()
        for attr in ("exclusive", "time"):
            group = [m for m in found if lex.groups[m.group].attrs.get(attr)]
            shadowed |= set(group) - set(drop_contained(group))
        everyday = SpanIndex(m for m in signals if lex.groups[m.group].attrs.get("neutral"))
        out: dict[str, list[Match]] = defaultdict(list)
        for m in found:
            attrs = lex.groups[m.group].attrs
            if lex.groups[m.group].kind != "marker" or m in shadowed:
                continue
            if attrs.get("negator") and (inside_signal.covers(m) or cancel.covers(m)):
                continue
            if "time" in attrs and everyday.covers(m):
                continue
            out[m.group].append(m)
        return out

    def _negator(
        self, negators: list[Match], starts: list[int], s: Match, gap: int = 3
    ) -> Match | None:
        if self.toks.words[s.start] in _NEGATION_STOPS:  # "... không gửi thì sẽ gửi ảnh"
            return None
        i = bisect_left(starts, s.start)
        for n in reversed(negators[max(0, i - 2):i]):
            if (n.end <= s.start and s.start - n.end <= gap and self._same_clause(n.start, s.start)
                    and not any(w in _NEGATION_STOPS for w in self.toks.words[n.end:s.start])):
                return n
        return None

    def _negate_markers(self, lex: Lexicon, markers: dict[str, list[Match]],
                        negators: list[Match], starts: list[int]) -> None:
        """Markers marked `negatable` (a child found) do not count when negated: "still has
        not been found", "chưa được tìm thấy"."""
        for g in [g for g in markers if lex.groups[g].attrs.get("negatable")]:
            self._drop_negated(markers, g, negators, starts)

    def _drop_negated(self, markers: dict[str, list[Match]], group: str,
                      negators: list[Match], starts: list[int]) -> None:
        kept = [m for m in markers[group] if self._negator(negators, starts, m) is None]
        if kept:
            markers[group] = kept
        else:
            del markers[group]

    def _negate_scoped(
        self, lex: Lexicon, markers: dict[str, list[Match]], signals: list[Match]
    ) -> None:
        """Negators that cancel only the groups named in their `negates` (a cover story cancels
        the accident it tells, "mẹ dặn ai hỏi thì nói tự té", and nothing else): signals and
        markers of those groups, as a negator would."""
        scoped = [g for g in markers if lex.groups[g].attrs.get("negates")]
        if not scoped:
            return
        targets: dict[str, list[Match]] = defaultdict(list)
        for g in scoped:
            for target in lex.groups[g].attrs["negates"]:
                targets[str(target)].extend(markers[g])
        for group, negs in targets.items():
            negs.sort()
            starts = [n.start for n in negs]
            for s in signals:
                if s.group == group and s not in self.negated:
                    neg = self._negator(negs, starts, s)
                    if neg is not None:
                        self.negated[s] = neg
            if group in markers:
                self._drop_negated(markers, group, negs, starts)

    def _carry_negation(
        self, lex: Lexicon, markers: dict[str, list[Match]], signals: list[Match]
    ) -> None:
        """A negation reaches along a list of signals joined by "hay", "hoặc", "or" (markers
        with `joins_list`): "không có ai bắt nạt hay trêu chọc" negates both."""
        joined = {k for g, ms in markers.items() if lex.groups[g].attrs.get("joins_list")
                  for m in ms for k in range(m.start, m.end)}
        if not joined:
            return
        prev: Match | None = None
        for s in signals:
            if (prev is not None and prev in self.negated and s not in self.negated
                    and prev.end <= s.start and self._same_clause(prev.start, s.start)
                    # the joining word may open the next signal's own phrase ("hay chui mang")
                    and all(k in joined for k in range(prev.end, max(s.start, prev.end + 1)))):
                self.negated[s] = self.negated[prev]
            if prev is None or s.end > prev.end:
                prev = s

    def _time_marks(self, lex: Lexicon) -> None:
        window: list[TimeMark] = []
        scoped: list[TimeMark] = []
        self._window_of: dict[str, int] = {}
        self._weak = lex.weak
        self._sentence_only = lex.sentence_only
        for g, ms in self._markers_by_group.items():
            attrs = lex.groups[g].attrs
            if "time" not in attrs:
                continue
            self._window_of[g] = int(attrs.get("window", 0))
            target = window if self._window_of[g] else scoped
            target.extend(TimeMark(m, str(attrs["time"])) for m in ms)
        self._window_times = sorted(window, key=lambda t: t.match)
        self._window_starts = [t.match.start for t in self._window_times]
        self._scoped_times = sorted(scoped, key=lambda t: t.match)
        self._scoped_starts = [t.match.start for t in self._scoped_times]

    def _same_clause(self, a: int, b: int) -> bool:
        return self.toks.clause[a] == self.toks.clause[b]

    def scope(self, m: Match, scope: str) -> tuple[int, int]:
        if scope == "text":
            return 0, len(self.toks)
        if scope == "own":  # the signal's own words, and a phrase opening up to 4 words before
            lo = self._clauses[self.toks.clause[m.start]][0]
            return max(lo, m.start - 4), m.end
        table = self._clauses if scope == "clause" else self._sentences
        ids = self.toks.clause if scope == "clause" else self.toks.sentence
        return table[ids[m.start]]

    def has(
        self, group: str, lo: int = 0, hi: int | None = None, besides: Match | None = None
    ) -> bool:
        """Whether a (non-negated) match of `group` starts in [lo, hi), other than `besides`."""
        starts = self._starts.get(group)
        if not starts:
            return False
        hi = len(self.toks) if hi is None else hi
        ms = self._by_name[group]
        i = bisect_left(starts, lo)
        while i < len(starts) and starts[i] < hi:
            if ms[i] != besides:
                return True
            i += 1
        return False

    def matches(self, group: str, lo: int = 0, hi: int | None = None) -> list[Match]:
        """The (non-negated) matches of `group` starting in [lo, hi)."""
        starts = self._starts.get(group)
        if not starts:
            return []
        hi = len(self.toks) if hi is None else hi
        return self._by_name[group][bisect_left(starts, lo):bisect_left(starts, hi)]

    def has_near(self, group: str, m: Match, scope: str) -> bool:
        lo, hi = self.scope(m, scope)
        stops = self._until.get(group)
        if stops is None or scope == "text":
            return self.has(group, lo, hi, besides=m)
        # a group with `until` reaches only as far as a word that moves the telling on:
        # "xem phim có cảnh đánh nhau xong lấy dao dọa giết em" (the film ends at "xong")
        folded = self.toks.folded
        return any(not any(w in stops for w in (folded[x.end:m.start] if x.start <= m.start
                                                else folded[m.end:x.start]))
                   for x in self.matches(group, lo, hi) if x != m)

    def time_of(self, m: Match) -> str:
        """The time class of a signal: the nearest time word in its clause, sentence or text.

        Window words ("đang", "vừa", "is") count only just before the signal in its clause,
        since they are everywhere ("cháu đang ở với mẹ"). In its clause, a "now" word beats a
        habitual one, whichever is nearer (ongoing and repeated is still now). Time words of a
        group with `reach: sentence` ("hồi em 9 tuổi") date only their own sentence."""
        candidates = self._window_candidates(m)
        for scope in ("clause", "sentence", "text"):
            lo, hi = self.scope(m, scope)
            i = bisect_left(self._scoped_starts, m.start)
            for t in self._scoped_times[max(0, i - 2):i + 2]:
                if lo <= t.match.start < hi and not (
                        scope == "text" and t.match.group in self._sentence_only):
                    candidates.append(t)
            if candidates:
                best = min(candidates, key=lambda t: _time_key(t, m)).time
                # A sentence that tells its own event as just happened ("bé vừa được vớt lên
                # ..., không thở") does not take a past time from another sentence's event.
                if scope == "text" and best == "past" and self._sentence_recent(m):
                    return "recent"
                # A habit is placed by a "now" or "past" word of its clause: "đang quật cháu
                # liên tục" is now, "nhiều lần hồi năm ngoái" is past (the nearer one wins).
                if best == "habitual" and scope == "clause":
                    placed = [t for t in candidates if t.time == "past" or (
                        t.time == "now" and t.match.group not in self._weak)]
                    if placed:
                        return min(placed, key=lambda t: _time_key(t, m)).time
                return best
        return "unspecified"

    def _sentence_recent(self, m: Match) -> bool:
        """A "just" word ("vừa", "just") before the signal in its sentence."""
        lo, _ = self.scope(m, "sentence")
        return any(t.time == "recent" and lo <= t.match.start < m.start
                   for t in self._window_times)

    def _window_candidates(self, m: Match) -> list[TimeMark]:
        """Window words just before the signal, or inside it before its last word ("dang danh",
        "vẫn bị đánh", "ba noi dang troi": the time word is part of the signal's own phrase)."""
        i = bisect_right(self._window_starts, m.end - 1)
        return [
            t for t in self._window_times[max(0, i - 3):i]
            if t.match.end < m.end
            and m.start - t.match.end <= self._window_of[t.match.group]
            and self._same_clause(t.match.start, m.start)
        ]


_URGENCY = {"now": 0, "recent": 1, "habitual": 2, "past": 3}


def _time_key(t: TimeMark, m: Match) -> tuple[int, int, int]:
    """Nearest first; on a tie the word before the signal, then the more urgent reading."""
    return _distance(t.match, m), 0 if t.match.start <= m.start else 1, _URGENCY[t.time]


def _distance(a: Match, b: Match) -> int:
    if a.end <= b.start:
        return b.start - a.end
    if b.end <= a.start:
        return a.start - b.end
    return 0
