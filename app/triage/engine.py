"""The triage engine: DOMAIN.md's "Deciding the level", applied with the active ruleset.

Pure: the same input gives the same result; no database, clock or I/O (the rules are read once).
"""

from dataclasses import dataclass, field

from app.triage.analysis import Doc
from app.triage.conditions import Rule
from app.triage.lexicon import Relations
from app.triage.matcher import Match
from app.triage.ruleset import Ruleset, active
from app.triage.types import Indicators, TriageInput, TriageResult
from app.vocab import CATEGORY_TIE_ORDER, LEVELS, ROUTED_CONTACT_TYPES

_CRITICAL = LEVELS.index("critical")
_MAX_REASONS = 20
_YOUNG_MAX_AGE = 5


@dataclass(slots=True)
class Hit:
    rule: Rule | None  # None for an operator category's floor
    level: int  # index in LEVELS
    category: str | None
    match: Match | None = None
    signal: str | None = None
    yields: str | None = None  # "drop" (a feeling) or "tie" (distress): C.feelings_belong_to_event
    operator: bool = False
    add: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


class Context:
    """The facts conditions ask about (rules.Facts), for one report."""

    def __init__(self, doc: Doc, inp: TriageInput, relations: Relations) -> None:
        self.doc = doc
        self._relations = relations  # _common.yaml `relations`: who a relative's words name
        self.ind = inp.indicators or Indicators()
        self._ages = {c.age for c in inp.children if c.age is not None} | set(doc.ages)
        self._young = (any(a <= _YOUNG_MAX_AGE for a in self._ages) or doc.has("young_child")
                       or (not self._ages and doc.has("young_child_maybe")))
        self._continuing = self.ind.perpetrator_has_access is True or doc.has("access_continuing")
        self._no_access = not self._continuing and (
            self.ind.perpetrator_has_access is False or doc.has("access_none"))
        self._times: dict[Match, str] = {}
        self._gone: dict[Match, bool] = {}

    def time_of(self, m: Match) -> str:
        if m not in self._times:
            self._times[m] = self.doc.time_of(m)
        return self._times[m]

    def near(self, groups: tuple[str, ...], m: Match | None, scope: str) -> bool:
        if m is None:
            return any(self.doc.has(g) for g in groups)
        return any(self.doc.has_near(g, m, scope) for g in groups)

    def perpetrator(self, kind: str, m: Match | None) -> bool:
        no_access = self._no_access_for(m)
        if kind == "no_access":
            return no_access
        if kind == "not_no_access":
            return not no_access
        if no_access:
            return False
        household = self._household(m)
        return household if kind == "household" else household or self._continuing

    def _no_access_for(self, m: Match | None) -> bool:
        """Whether the perpetrator of the signal is gone. A leaving told of another relative
        than the one named with the signal is someone else's ("mẹ đi làm xa, ..., dượng sờ
        soạng bé": the mother left, the stepfather is there)."""
        if not self._no_access or m is None or self.ind.perpetrator_has_access is False:
            return self._no_access
        if m not in self._gone:
            named = self._relatives(m, "clause") or self._relatives(m, "sentence")
            self._gone[m] = not named or any(
                not (who := self._relatives(a, "clause")) or who & named
                for a in self.doc.matches("access_none"))
        return self._gone[m]

    def _relatives(self, m: Match, scope: str) -> set[str]:
        """The relatives (rel_household) named in the clause or sentence of a match."""
        lo, hi = self.doc.scope(m, scope)
        out: set[str] = set()
        for r in self.doc.matches("rel_household", lo, hi):
            for k in range(r.start, r.end):
                person = self._relations.person(self.doc.toks.folded[k], self.doc.toks.words[k])
                if person is not None:
                    out.add(person)
        return out

    def _household(self, m: Match | None) -> bool:
        """A parent, relative or carer named with the signal: in its clause, or in its sentence
        when no outsider (teacher, neighbour, stranger) is named there too."""
        if self.ind.perpetrator_is_caregiver:
            return True
        if m is None:
            return False
        if self.doc.has_near("rel_household", m, "clause"):
            return True
        return self.doc.has_near("rel_household", m, "sentence") and not self.doc.has_near(
            "rel_adult", m, "sentence")

    def any_age(self, lo: int, hi: int) -> bool:
        return any(lo <= a <= hi for a in self._ages)

    def ages_known(self) -> bool:
        return bool(self._ages)

    def young(self) -> bool:
        return self._young

    def indicator(self, name: str) -> bool:
        return getattr(self.ind, name, None) is True


def _phrase(doc: Doc, m: Match) -> str:
    return " ".join(doc.toks.words[m.start:m.end])


def _signal_hits(rs: Ruleset, ctx: Context) -> list[Hit]:
    hits: list[Hit] = []
    for m in ctx.doc.signals:
        attrs = rs.lexicon.groups[m.group].attrs
        for rule in rs.by_signal[m.group]:
            if rule.level is not None and rule.when.holds(ctx, m):
                hits.append(Hit(
                    rule=rule, level=LEVELS.index(rule.level),
                    category=rule.category or str(attrs["category"]), match=m, signal=m.group,
                    yields=attrs.get("yields"), add=rule.add,
                ))
    return hits


def _apply_conventions(rs: Ruleset, ctx: Context, hits: list[Hit]) -> None:
    """Re-label hits (C.* with `to`), in the order of the file; each applies at most once."""
    for hit in hits:
        for conv in rs.conventions:
            if conv.to is None or hit.match is None:
                continue
            if conv.when.signals and hit.signal not in conv.when.signals:
                continue
            if conv.from_categories and hit.category not in conv.from_categories:
                continue
            # A convention may keep the category and only make the hit yield ("tie").
            same = hit.category == conv.to
            if (same and (conv.yields is None or hit.yields == conv.yields)) or not (
                    conv.when.holds(ctx, hit.match)):
                continue
            hit.category = conv.to
            if conv.level is not None:
                hit.level = LEVELS.index(conv.level)
            if conv.yields is not None:
                hit.yields = conv.yields
            hit.notes.append(f"{conv.id}: '{_phrase(ctx.doc, hit.match)}' -> {conv.to}"
                             + (" (yields)" if same else ""))


_HARM = frozenset({"serious_harm", "visible_injury", "minor_injury"})
_ACTS = frozenset({"violence", "group_assault", "weapon", "threat_kill", "peer_fight"})


def _harm_follows_student_violence(ctx: Context, hits: list[Hit]) -> None:
    """C.harm_follows_student_violence: an injury told in the sentence of a fight between
    students, where every act of violence was re-labelled school_violence, is that fight's
    ("5 6 thằng lớp 8 vây đánh 1 bạn ..., bạn ấy chảy máu mũi")."""
    for hit in hits:
        if hit.match is None or hit.signal not in _HARM or hit.category != "physical_violence":
            continue
        lo, hi = ctx.doc.scope(hit.match, "sentence")
        acts = [a for a in hits if a.match is not None and a.signal in _ACTS
                and lo <= a.match.start < hi and a.category]
        if acts and all(a.category == "school_violence" for a in acts):
            hit.category = "school_violence"
            hit.notes.append(f"C.harm_follows_student_violence: '{_phrase(ctx.doc, hit.match)}'"
                             " -> school_violence")


def _absorb_and_yield(hits: list[Hit]) -> list[Hit]:
    """R4.sextortion absorbs the intimate images it threatens with; feelings are dropped when
    anything else explains them (C.feelings_belong_to_event)."""
    absorbed = {s for h in hits if h.rule for s in h.rule.absorbs}
    kept = [h for h in hits if h.signal not in absorbed]
    if any(h.yields != "drop" for h in kept):
        kept = [h for h in kept if h.yields != "drop"]
    return kept


def _bump_young(rs: Ruleset, ctx: Context, hits: list[Hit]) -> None:
    bump = rs.builtin("bump")
    if not ctx.young():
        return
    for hit in hits:
        if hit.category in bump.categories and hit.level < _CRITICAL:
            hit.level += 1
            hit.notes.append(f"{bump.id}: {hit.category} raised to {LEVELS[hit.level]} "
                             "(a child aged 0-5)")


def _indicator_hits(rs: Ruleset, ctx: Context) -> list[Hit]:
    return [
        Hit(rule=r, level=LEVELS.index(r.level), category=r.category)
        for r in rs.rules
        if r.level is not None and r.when.indicator and not r.when.signals
        and r.when.holds(ctx, None)
    ]


def _operator_hits(rs: Ruleset, inp: TriageInput, hits: list[Hit]) -> list[Hit]:
    """An operator category no text signal found adds a floor (O.operator_category_floor)."""
    floor = rs.operator_floor
    found = {h.category for h in hits} | {c for h in hits for c in h.add}
    return [
        Hit(rule=None, level=LEVELS.index(floor.floor(c)), category=c, operator=True)
        for c in dict.fromkeys(inp.categories) if c not in found
    ]


def _rank(category: str) -> int:
    return CATEGORY_TIE_ORDER.index(category) if category in CATEGORY_TIE_ORDER else 99


def _primary(hits: list[Hit], operator_order: tuple[str, ...]) -> str:
    """The category of the hit that set the level; text before operator, distress after other
    signals of the same level, then the tie order (operator hits: the operator's order)."""
    categorized = [h for h in hits if h.category]
    top = max(h.level for h in categorized)

    def key(h: Hit) -> tuple[bool, bool, int]:
        rank = operator_order.index(h.category) if h.operator else _rank(str(h.category))
        return h.operator, h.yields == "tie", rank

    return str(min((h for h in categorized if h.level == top), key=key).category)


def _reasons(rs: Ruleset, ctx: Context, hits: list[Hit]) -> tuple[list[str], list[str]]:
    reasons: list[str] = []
    ids: list[str] = []
    for h in sorted(hits, key=lambda h: (-h.level, h.rule.step if h.rule else 9)):
        if h.rule is None:
            rid = rs.operator_floor.rule_id
            line = f"{rid}: operator category {h.category} -> at least {LEVELS[h.level]}"
        elif h.match is not None:
            rid = h.rule.id
            when = f" [{ctx.time_of(h.match)}]" if h.rule.when.time is not None else ""
            line = f"{rid}: '{_phrase(ctx.doc, h.match)}'{when}"
        else:
            rid = h.rule.id
            line = f"{rid}: indicators.{h.rule.when.indicator}" if h.rule.when.indicator else (
                f"{rid}: no signal matched")
        ids.append(rid)
        reasons.append(line)
        for note in h.notes:
            ids.append(note.split(":", 1)[0])
            reasons.append(note)
    negation = rs.builtin("negation")
    for sig, neg in ctx.doc.negated.items():
        ids.append(negation.id)
        reasons.append(f"{negation.id}: '{_phrase(ctx.doc, neg)}' cancels "
                       f"'{_phrase(ctx.doc, sig)}'")
    return list(dict.fromkeys(reasons))[:_MAX_REASONS], list(dict.fromkeys(ids))


def _not_routed(rs: Ruleset, inp: TriageInput) -> TriageResult:
    rule = rs.builtin("non_routed")
    return TriageResult(
        level="none", computed_level="none",
        reasons=(f"{rule.id}: contact type {inp.contact_type} is not routed",),
        primary_category=None, categories=tuple(dict.fromkeys(inp.categories)),
        ruleset_version=rs.version, rule_ids=(rule.id,),
    )


def triage(inp: TriageInput) -> TriageResult:
    rs = active()
    if inp.contact_type not in ROUTED_CONTACT_TYPES:
        return _not_routed(rs, inp)
    ctx = Context(Doc(rs.lexicon, inp.description), inp, rs.lexicon.relations)
    hits = _signal_hits(rs, ctx)
    _apply_conventions(rs, ctx, hits)
    _harm_follows_student_violence(ctx, hits)
    hits = _absorb_and_yield(hits)
    _bump_young(rs, ctx, hits)
    text_fired = bool(hits)
    hits += _indicator_hits(rs, ctx) + _operator_hits(rs, inp, hits)
    if not text_fired and not inp.categories:
        rule = rs.builtin("no_signal")
        hits.append(Hit(rule=rule, level=LEVELS.index("medium"), category=rule.category))
    computed = LEVELS[max(h.level for h in hits)]
    primary = _primary(hits, tuple(dict.fromkeys(inp.categories)))
    others = {h.category for h in hits if h.category} | {c for h in hits for c in h.add}
    others |= set(inp.categories)
    others.discard(primary)
    reasons, ids = _reasons(rs, ctx, hits)
    level = computed
    if inp.override is not None:
        override = rs.builtin("override")
        level = inp.override.level
        reasons.insert(0, f"{override.id}: {inp.override.reason} (rules gave {computed})")
        ids.insert(0, override.id)
    return TriageResult(
        level=level, computed_level=computed, reasons=tuple(reasons), primary_category=primary,
        categories=(primary, *sorted(others, key=lambda c: (_rank(c), c))),
        ruleset_version=rs.version, rule_ids=tuple(ids),
    )
