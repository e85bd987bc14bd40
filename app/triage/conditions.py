"""Rules and conventions as read from `rules/ruleset.yaml`, and the conditions they test.

A rule fires once per (non-negated) match of one of its signals when its `when` conditions
hold; indicator rules fire once per report. A convention re-labels the hits a rule produced
(e.g. violence between students becomes `school_violence`). See the YAML file for the words.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.triage.matcher import Match
from app.vocab import CATEGORIES, LEVELS, Level

_CONDITION_KEYS = frozenset({
    "signals", "time", "near_any", "near_none", "clause_any", "clause_none", "own_none", "text_any",
    "text_all", "text_none", "perpetrator", "age", "age_unknown", "young", "indicator",
})
_TIMES = frozenset({"now", "recent", "unspecified", "habitual", "past"})
_PERPETRATOR = frozenset({"household", "access", "no_access", "not_no_access"})


class Facts(Protocol):
    """What conditions ask of a report (implemented by `engine.Context`)."""

    def time_of(self, m: Match) -> str: ...
    def near(self, groups: tuple[str, ...], m: Match | None, scope: str) -> bool: ...
    def perpetrator(self, kind: str, m: Match | None) -> bool: ...
    def any_age(self, lo: int, hi: int) -> bool: ...
    def ages_known(self) -> bool: ...
    def young(self) -> bool: ...
    def indicator(self, name: str) -> bool: ...


def _names(spec: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = spec.get(key) or ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True, slots=True)
class Condition:
    signals: tuple[str, ...] = ()
    time: frozenset[str] | None = None
    near_any: tuple[str, ...] = ()
    near_none: tuple[str, ...] = ()
    clause_any: tuple[str, ...] = ()
    clause_none: tuple[str, ...] = ()
    own_none: tuple[str, ...] = ()  # not on the signal's own words or just before them
    text_any: tuple[str, ...] = ()
    text_none: tuple[str, ...] = ()
    text_all: tuple[str, ...] = ()  # every one of these groups somewhere in the text
    perpetrator: str | None = None
    age: tuple[int, int] | None = None
    age_unknown: bool | None = None
    young: bool | None = None
    indicator: str | None = None

    @classmethod
    def parse(cls, spec: Mapping[str, Any], where: str) -> "Condition":
        unknown = set(spec) - _CONDITION_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown condition keys {sorted(unknown)}")
        time = frozenset(_names(spec, "time")) if "time" in spec else None
        if time is not None and not time <= _TIMES:
            raise ValueError(f"{where}: bad time {sorted(time - _TIMES)}")
        perp = spec.get("perpetrator")
        if perp is not None and perp not in _PERPETRATOR:
            raise ValueError(f"{where}: bad perpetrator {perp!r}")
        age = spec.get("age")
        return cls(
            signals=_names(spec, "signals"), time=time,
            near_any=_names(spec, "near_any"), near_none=_names(spec, "near_none"),
            clause_any=_names(spec, "clause_any"), clause_none=_names(spec, "clause_none"),
            own_none=_names(spec, "own_none"),
            text_any=_names(spec, "text_any"), text_none=_names(spec, "text_none"),
            text_all=_names(spec, "text_all"),
            perpetrator=perp, age=(int(age[0]), int(age[1])) if age else None,
            age_unknown=spec.get("age_unknown"), young=spec.get("young"),
            indicator=spec.get("indicator"),
        )

    def groups(self) -> set[str]:
        """Every lexicon group named, to check at load time that each one exists."""
        return {*self.signals, *self.near_any, *self.near_none, *self.clause_any,
                *self.clause_none, *self.own_none, *self.text_any, *self.text_none, *self.text_all}

    def holds(self, f: Facts, m: Match | None) -> bool:
        if self.indicator is not None and not f.indicator(self.indicator):
            return False
        if m is not None and self.time is not None and f.time_of(m) not in self.time:
            return False
        return (
            self._context_holds(f, m)
            and (self.perpetrator is None or f.perpetrator(self.perpetrator, m))
            and (self.age is None or f.any_age(*self.age))
            and (self.age_unknown is None or self.age_unknown != f.ages_known())
            and (self.young is None or self.young == f.young())
        )

    def _context_holds(self, f: Facts, m: Match | None) -> bool:
        for groups, scope, want in (
            (self.near_any, "sentence", True), (self.near_none, "sentence", False),
            (self.clause_any, "clause", True), (self.clause_none, "clause", False),
            (self.own_none, "own", False),
            (self.text_any, "text", True), (self.text_none, "text", False),
        ):
            if groups and f.near(groups, m, scope) != want:
                return False
        return all(f.near((g,), m, "text") for g in self.text_all)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    step: int
    level: Level | None  # None for builtin rules that set no level of their own
    when: Condition
    category: str | None  # None: the matched signal's category
    add: tuple[str, ...]  # categories added alongside
    absorbs: tuple[str, ...]  # signals whose hits this rule's hit replaces
    builtin: str | None  # implemented in engine.py (non-routed, override, bump, negation...)
    categories: tuple[str, ...]  # for builtin "bump": the categories it moves up
    domain: str  # the DOMAIN.md text this rule implements
    summary: str


@dataclass(frozen=True, slots=True)
class Convention:
    id: str
    when: Condition  # `signals`: the hits' signals; other keys: context around the hit's match
    from_categories: tuple[str, ...]
    to: str | None
    level: Level | None  # a convention may also set the level (a child's own act: low)
    yields: str | None  # "tie": the re-labelled hit yields the primary, as its new category's do
    implemented_by: tuple[str, ...]  # where a convention is carried by a rule or a signal
    domain: str
    summary: str


def _level(value: Any, where: str) -> Level | None:
    if value is None:
        return None
    for lv in LEVELS:
        if lv == value:
            return lv
    raise ValueError(f"{where}: bad level {value!r}")


def _category(value: Any, where: str) -> str | None:
    if value is not None and value not in CATEGORIES:
        raise ValueError(f"{where}: bad category {value!r}")
    return None if value is None else str(value)


def _yields(value: Any, where: str) -> str | None:
    if value is not None and value not in ("tie", "drop"):
        raise ValueError(f"{where}: bad yields {value!r}")
    return None if value is None else str(value)


def parse_rule(spec: Mapping[str, Any]) -> Rule:
    rid = str(spec["id"])
    return Rule(
        id=rid, step=int(spec["step"]), level=_level(spec.get("level"), rid),
        when=Condition.parse(spec.get("when") or {}, rid),
        category=_category(spec.get("category"), rid),
        add=tuple(c for c in _names(spec, "add") if _category(c, rid)),
        absorbs=_names(spec, "absorbs"), builtin=spec.get("builtin"),
        categories=tuple(c for c in _names(spec, "categories") if _category(c, rid)),
        domain=" ".join(str(spec.get("domain", "")).split()),
        summary=" ".join(str(spec.get("summary", "")).split()),
    )


def parse_convention(spec: Mapping[str, Any]) -> Convention:
    cid = str(spec["id"])
    return Convention(
        id=cid, when=Condition.parse(spec.get("when") or {}, cid),
        from_categories=tuple(c for c in _names(spec, "from") if _category(c, cid)),
        to=_category(spec.get("to"), cid), level=_level(spec.get("level"), cid),
        yields=_yields(spec.get("yields"), cid),
        implemented_by=_names(spec, "implemented_by"),
        domain=" ".join(str(spec.get("domain", "")).split()),
        summary=" ".join(str(spec.get("summary", "")).split()),
    )
