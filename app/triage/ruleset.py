"""Loading the versioned rules and lexicons once, checking them, and compiling the matcher."""

import copy
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from app.triage.conditions import Convention, Rule, parse_convention, parse_rule
from app.triage.lexicon import (
    Lexicon,
    compile_lexicon,
    load_groups,
    load_relations,
    read_yaml_dir,
)
from app.vocab import CATEGORIES, LEVELS, Level

RULES_DIR = Path(__file__).with_name("rules")
_COMMON = "_common.yaml"
_TIMES = frozenset({"now", "recent", "habitual", "past"})


@dataclass(frozen=True, slots=True)
class OperatorFloor:
    rule_id: str
    default: Level
    levels: dict[str, Level]

    def floor(self, category: str) -> Level:
        return self.levels.get(category, self.default)


@dataclass(frozen=True, slots=True)
class Ruleset:
    version: str
    digest: str  # sha256 of the rule files: tells two deployments' rules apart
    lexicon: Lexicon
    rules: tuple[Rule, ...]
    conventions: tuple[Convention, ...]
    operator_floor: OperatorFloor
    document: dict[str, Any]  # the files as read, for GET /v1/triage/ruleset
    by_signal: dict[str, tuple[Rule, ...]]  # the rules each signal can fire, in file order

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def builtin(self, name: str) -> Rule:
        return next(r for r in self.rules if r.builtin == name)


def _as_level(value: Any, where: str) -> Level:
    for lv in LEVELS:
        if lv == value:
            return lv
    raise ValueError(f"{where}: bad level {value!r}")


def _floor(spec: dict[str, Any]) -> OperatorFloor:
    levels = {str(c): _as_level(lv, f"operator_floor.{c}") for c, lv in spec["levels"].items()}
    bad = set(levels) - set(CATEGORIES)
    if bad:
        raise ValueError(f"operator_floor: unknown categories {sorted(bad)}")
    return OperatorFloor(str(spec["id"]), _as_level(spec["default"], "operator_floor"), levels)


def _check(lex: Lexicon, rules: tuple[Rule, ...], conventions: tuple[Convention, ...]) -> None:
    """Refuse a rule file that names a group, category or time that does not exist."""
    ids = [r.id for r in rules] + [c.id for c in conventions]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate rule or convention ids")
    named = set().union(*(r.when.groups() for r in rules), *(c.when.groups() for c in conventions))
    missing = named - set(lex.groups)
    if missing:
        raise ValueError(f"rules name unknown lexicon groups: {sorted(missing)}")
    anchored = set().union(*(r.when.signals for r in rules))
    for g in lex.groups.values():
        if g.kind == "signal" and not g.attrs.get("neutral"):
            if g.attrs.get("category") not in CATEGORIES:
                raise ValueError(f"signal {g.name}: bad category {g.attrs.get('category')!r}")
            if g.name not in anchored:
                raise ValueError(f"signal {g.name} fires no rule")
        unknown = set(g.attrs.get("negates") or ()) - set(lex.groups)
        if unknown:
            raise ValueError(f"marker {g.name}: negates unknown groups {sorted(unknown)}")
        if "time" in g.attrs and g.attrs["time"] not in _TIMES:
            raise ValueError(f"marker {g.name}: bad time {g.attrs['time']!r}")
        if "shadows" in g.attrs and (g.kind != "signal" or g.attrs["shadows"] is not False):
            raise ValueError(f"signal {g.name}: bad shadows {g.attrs['shadows']!r} (false only)")
        until = g.attrs.get("until")
        if until is not None and (g.kind == "signal" or not isinstance(until, list)
                                  or not all(isinstance(w, str) and " " not in w for w in until)):
            raise ValueError(f"marker {g.name}: bad until {until!r} (a marker's list of words)")
        if "reach" in g.attrs and (g.attrs["reach"] != "sentence" or "time" not in g.attrs):
            raise ValueError(f"marker {g.name}: bad reach {g.attrs['reach']!r} (a time group's"
                             " 'sentence' only)")
    for r in rules:
        if any(lex.groups[s].kind != "signal" for s in r.when.signals):
            raise ValueError(f"{r.id}: `signals` must name signals, not markers")


def load(directory: Path = RULES_DIR) -> Ruleset:
    files = read_yaml_dir(directory) + read_yaml_dir(directory / "lexicon")
    digest = hashlib.sha256()
    for path, _ in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    docs = {path.name: doc for path, doc in files}
    main = docs["ruleset.yaml"]
    common = docs.get(_COMMON) or {}
    groups = load_groups(
        [doc for name, doc in docs.items() if name not in ("ruleset.yaml", _COMMON)],
        common.get("slots") or {},
    )
    lex = compile_lexicon(groups, common.get("ambiguous_folded") or [],
                          load_relations(common.get("relations") or {}),
                          common.get("ambiguous_gap_left") or [])
    rules = tuple(parse_rule(spec) for spec in main["rules"])
    conventions = tuple(parse_convention(spec) for spec in main["conventions"])
    _check(lex, rules, conventions)
    return Ruleset(
        version=str(main["version"]), digest=digest.hexdigest(), lexicon=lex, rules=rules,
        conventions=conventions, operator_floor=_floor(main["operator_floor"]),
        by_signal={g: tuple(r for r in rules if g in r.when.signals) for g in lex.groups},
        document={
            "version": str(main["version"]), "digest": digest.hexdigest(),
            "rules": main["rules"], "conventions": main["conventions"],
            "operator_floor": main["operator_floor"],
            "lexicon": {name: doc for name, doc in docs.items() if name != "ruleset.yaml"},
        },
    )


@cache
def active() -> Ruleset:
    """The rules in force, loaded on first use and kept for the life of the process."""
    return load()


def describe() -> dict[str, Any]:
    """A copy of the active rules, JSON-serialisable (GET /v1/triage/ruleset)."""
    return copy.deepcopy(active().document)
