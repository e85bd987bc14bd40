"""Edit distance and name slots: the primitives of the bounded typo search."""

from collections.abc import Collection, Iterable, Sequence

from app.geo.mentions import Mention, is_type_word
from app.geo.text import Token

MAX_SLOT = 6


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, or limit + 1 as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, before[j - 2] + 1)
            cur[j] = v
        if min(cur) > limit:
            return limit + 1
        before, prev = prev, cur
    return prev[-1]


def _limit(key: str) -> int:
    return 0 if len(key) < 5 else 1 if len(key) < 10 else 2


def closest(key: str, candidates: Iterable[str], most: int = 2) -> str | None:
    """The single candidate nearest to `key` within the bound (and `most`), None if none or
    a tie."""
    limit = min(_limit(key), most)
    if limit == 0:
        return None
    best: list[str] = []
    best_d = limit + 1
    size = len(key)
    for c in dict.fromkeys(candidates):  # a name listed twice (old and new ward) is no tie
        if abs(len(c) - size) > limit:
            continue
        d = distance(key, c, min(limit, best_d))
        if d < best_d:
            best, best_d = [c], d
        elif d == best_d and d <= limit:
            best.append(c)
    return best[0] if len(best) == 1 else None


def slot_end(tokens: Sequence[Token], start: int, bound: int) -> int:
    """End of the name starting at `start`: the segment's end, `bound` or MAX_SLOT words.
    Type words do not end it: names contain them too (Cát Tỉnh, Văn Bàn, Nghĩa Lộ)."""
    end = start + 1
    while end < min(bound, start + MAX_SLOT) and tokens[end].seg == tokens[start].seg:
        end += 1
    return end


def longer(tokens: Sequence[Token], m: Mention, bound: int, keys: Collection[str]) -> str | None:
    """'xã Quế Sơn Trng': the typed name goes on past the name found; if the whole slot is one
    slip away from a single longer name, that name is meant."""
    end = m.end
    limit = min(bound, m.start + MAX_SLOT)
    # only plain words carry the name on: not a type word, nor past " - " ("xã Đức Thọ - tỉnh")
    while end < limit and tokens[end].seg == tokens[m.start].seg and not tokens[end].soft:
        if is_type_word(tokens, end):
            break
        end += 1
    if end <= m.end:
        return None
    hit = closest("".join(t.plain for t in tokens[m.start : end]), keys)
    return hit if hit and hit != m.key and len(hit) > len(m.key) else None
