"""Routing policy: a report's level, categories and place -> the agencies responsible (pure)."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

POLICY_FILE = Path(__file__).with_name("policy.yaml")

AgencyKey = tuple[str, str | None]  # (kind, unit_code); the national desk has no unit


@dataclass(frozen=True, slots=True)
class AgencyRef:
    code: str
    name: str
    kind: str
    level: str
    unit_code: str | None
    reachable: bool = True  # has an active key or a webhook
    # from the directory, so that callers need not look them up again
    agency_id: int | None = field(default=None, compare=False)
    has_webhook: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "kind": self.kind, "level": self.level,
                "unit_code": self.unit_code}


@dataclass(frozen=True, slots=True)
class NotifyRule:
    kind: str
    fallback: str | None
    levels: frozenset[str]
    or_police_categories: bool


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    police_categories: frozenset[str]
    primary_commune: str
    primary_province: str
    primary_none: str
    notify: tuple[NotifyRule, ...]
    escalation: tuple[str, ...]

    def next_level(self, kind: str) -> str | None:
        """The kind above `kind` on the escalation ladder, or None at the top."""
        if kind not in self.escalation:
            return None
        i = self.escalation.index(kind)
        return self.escalation[i + 1] if i + 1 < len(self.escalation) else None


@dataclass(frozen=True, slots=True)
class RoutingInput:
    level: str
    categories: tuple[str, ...]
    province_code: str | None
    ward_code: str | None
    excluded: frozenset[str] = field(default_factory=frozenset)  # agency codes, e.g. declined


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    status: Literal["routed", "needs_manual_routing"]
    primary: AgencyRef
    notified: tuple[AgencyRef, ...]
    reasons: tuple[str, ...]
    policy_version: str


@cache
def load_policy(path: Path = POLICY_FILE) -> Policy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = tuple(
        NotifyRule(kind=r["kind"], fallback=r.get("fallback"),
                   levels=frozenset(r["when"].get("levels", [])),
                   or_police_categories=r["when"].get("or_categories") == "police")
        for r in raw["notify"]
    )
    return Policy(
        version=raw["version"], police_categories=frozenset(raw["police_categories"]),
        primary_commune=raw["primary"]["commune"], primary_province=raw["primary"]["province"],
        primary_none=raw["primary"]["none"], notify=rules, escalation=tuple(raw["escalation"]),
    )


# The default directory's kinds and the level of government each serves.
KIND_LEVEL: dict[str, str] = {
    "commune_committee": "commune", "commune_police": "commune",
    "province_health": "province", "province_police": "province",
    "national_desk": "national",
}


def unit_for(kind: str, inp: RoutingInput) -> str | None:
    level = KIND_LEVEL.get(kind)
    return {"commune": inp.ward_code, "province": inp.province_code}.get(level or "")


def _pick(directory: Mapping[AgencyKey, AgencyRef], kind: str, unit: str | None,
          excluded: frozenset[str]) -> AgencyRef | None:
    agency = directory.get((kind, unit))
    return agency if agency is not None and agency.code not in excluded else None


def choose_primary(inp: RoutingInput, directory: Mapping[AgencyKey, AgencyRef], policy: Policy
                   ) -> tuple[AgencyRef, list[str]]:
    """Commune where it happened; else the province above; else the national desk."""
    reasons: list[str] = []
    attempts = [(policy.primary_commune, inp.ward_code, "commune"),
                (policy.primary_province, inp.province_code, "province")]
    for kind, unit, scope in attempts:
        if unit is None:
            continue
        agency = _pick(directory, kind, unit, inp.excluded)
        if agency is not None:
            reasons.append(f"primary: {agency.code} ({scope} {unit})")
            return agency, reasons
        reasons.append(f"no usable {kind} for {scope} {unit}")
    desk = directory.get((policy.primary_none, None))
    if desk is None:
        raise LookupError("the directory has no national desk")
    reasons.append(f"primary: {desk.code} (nothing else resolved)")
    return desk, reasons


def _notify_targets(inp: RoutingInput, directory: Mapping[AgencyKey, AgencyRef],
                    policy: Policy) -> list[tuple[AgencyRef, str]]:
    police_case = bool(policy.police_categories & set(inp.categories))
    out: list[tuple[AgencyRef, str]] = []
    for rule in policy.notify:
        why = (f"level {inp.level}" if inp.level in rule.levels else
               "category " + ", ".join(sorted(policy.police_categories & set(inp.categories)))
               if rule.or_police_categories and police_case else None)
        if why is None:
            continue
        for kind in (rule.kind, rule.fallback):
            if kind is None:
                continue
            agency = _pick(directory, kind, unit_for(kind, inp), inp.excluded)
            if agency is not None:
                out.append((agency, why))
                break
    return out


def _escalate_unreachable(primary: AgencyRef, directory: Mapping[AgencyKey, AgencyRef],
                          inp: RoutingInput, policy: Policy) -> list[tuple[AgencyRef, str]]:
    """An unreachable primary cannot learn of the case: tell the levels above it at once."""
    out: list[tuple[AgencyRef, str]] = []
    below, kind = primary, policy.next_level(primary.kind)
    while not below.reachable and kind is not None:
        above = _pick(directory, kind, unit_for(kind, inp), inp.excluded)
        if above is not None:
            out.append((above, f"{below.code} is unreachable (no active key or webhook)"))
            below = above
        kind = policy.next_level(kind)
    return out


def _add_notices(primary: AgencyRef, notified: dict[str, AgencyRef], reasons: list[str],
                 targets: list[tuple[AgencyRef, str]]) -> None:
    """Each target once, with its reason; an agency notified for one reason and also as the
    level above an unreachable one gets both reasons: the report says the agency below is
    unreachable."""
    for agency, why in targets:
        if agency.code == primary.code:
            continue
        if agency.code not in notified or "unreachable" in why:
            reasons.append(f"notified: {agency.code} ({why})")
        notified.setdefault(agency.code, agency)


def route(inp: RoutingInput, directory: Mapping[AgencyKey, AgencyRef],
          policy: Policy | None = None) -> RoutingDecision:
    policy = policy or load_policy()
    primary, reasons = choose_primary(inp, directory, policy)
    notified: dict[str, AgencyRef] = {}
    _add_notices(primary, notified, reasons, _notify_targets(inp, directory, policy)
                 + _escalate_unreachable(primary, directory, inp, policy))
    status: Literal["routed", "needs_manual_routing"] = (
        "needs_manual_routing" if primary.kind == policy.primary_none else "routed")
    return RoutingDecision(status=status, primary=primary, notified=tuple(notified.values()),
                           reasons=tuple(reasons), policy_version=policy.version)


def with_required_notices(decision: RoutingDecision, inp: RoutingInput,
                          directory: Mapping[AgencyKey, AgencyRef],
                          policy: Policy | None = None) -> RoutingDecision:
    """A decision made otherwise (a follow-up sent to its report's agencies, a manual
    assignment, a notified agency taken out) plus what the policy never leaves out: the
    notices the level and categories call for (police, health) and, above an unreachable
    primary, the next levels at once."""
    policy = policy or load_policy()
    notified = {a.code: a for a in decision.notified}
    reasons = list(decision.reasons)
    _add_notices(decision.primary, notified, reasons, _notify_targets(inp, directory, policy)
                 + _escalate_unreachable(decision.primary, directory, inp, policy))
    return replace(decision, notified=tuple(notified.values()), reasons=tuple(reasons))


def escalate(*, from_agency: AgencyRef, current_notified: tuple[AgencyRef, ...],
             inp: RoutingInput, directory: Mapping[AgencyKey, AgencyRef],
             policy: Policy | None = None) -> RoutingDecision | None:
    """The next level up becomes primary; the previous primary stays notified (the caller
    keeps it); an unreachable new primary brings in the level above it at once. None when
    there is no level above."""
    policy = policy or load_policy()
    kind = policy.next_level(from_agency.kind)
    target = None
    while kind is not None and target is None:
        target = _pick(directory, kind, unit_for(kind, inp), inp.excluded)
        kind = policy.next_level(kind)
    if target is None:
        return None
    notified = {a.code: a for a in current_notified if a.code != target.code}
    reasons = [f"escalated: {from_agency.code} did not acknowledge in time; "
               f"primary: {target.code}"]
    for agency, why in _escalate_unreachable(target, directory, inp, policy):
        if agency.code not in notified:
            notified[agency.code] = agency
            reasons.append(f"notified: {agency.code} ({why})")
    return RoutingDecision(
        status="needs_manual_routing" if target.kind == policy.primary_none else "routed",
        primary=target, notified=tuple(notified.values()), reasons=tuple(reasons),
        policy_version=policy.version)
