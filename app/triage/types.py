"""Input and output of the triage engine (pure: no database, no clock, no I/O)."""

from dataclasses import dataclass, field

from app.vocab import Level


@dataclass(frozen=True, slots=True)
class Child:
    age: int | None = None  # 0..17
    sex: str = "unknown"


@dataclass(frozen=True, slots=True)
class Indicators:
    immediate_danger: bool | None = None
    serious_injury: bool | None = None
    perpetrator_is_caregiver: bool | None = None
    perpetrator_has_access: bool | None = None
    suicide_risk: bool | None = None


@dataclass(frozen=True, slots=True)
class Override:
    level: Level
    reason: str


@dataclass(frozen=True, slots=True)
class TriageInput:
    contact_type: str = "report"
    description: str = ""
    children: tuple[Child, ...] = field(default_factory=tuple)
    categories: tuple[str, ...] = field(default_factory=tuple)  # the operator's, first = primary
    indicators: Indicators | None = None
    override: Override | None = None


@dataclass(frozen=True, slots=True)
class TriageResult:
    level: Level  # final level (the override's when there is one)
    computed_level: Level  # what the rules gave
    reasons: tuple[str, ...]  # human-readable, each naming the rule id and the phrase
    primary_category: str | None
    categories: tuple[str, ...]  # primary first; never empty for routed contact types
    ruleset_version: str
    rule_ids: tuple[str, ...] = field(default_factory=tuple)  # ids of rules that fired
