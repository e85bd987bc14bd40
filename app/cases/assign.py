"""Putting a report's cases in line with a routing decision (decline, escalation, manual
assignment, deactivation), audited in the same transaction."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.cases import changes
from app.config import Settings
from app.models import Agency, Case, Report
from app.routing.directory import agency_ref, routing_candidates
from app.routing.policy import AgencyRef, RoutingDecision, RoutingInput, with_required_notices
from app.vocab import LEVELS

LIVE = frozenset({"new", "acknowledged", "in_progress", "referred", "resolved"})


def urgency_rank(level: str) -> int:
    """0 for critical up to 3 for low (the work queue's ascending sort key)."""
    return LEVELS.index("critical") - LEVELS.index(level)


def agency_ids(session: Session, refs: list[AgencyRef]) -> dict[str, int]:
    """Agency code -> id; refs from the directory carry their id, the rest are looked up."""
    ids = {r.code: r.agency_id for r in refs if r.agency_id is not None}
    missing = [r.code for r in refs if r.agency_id is None]
    if missing:
        ids.update(session.execute(select(Agency.code, Agency.id).where(
            Agency.code.in_(missing))).all())
    return ids


def current_agencies(session: Session, report_id: str
                     ) -> tuple[AgencyRef | None, tuple[AgencyRef, ...]]:
    """The report's primary (None if it has no open primary case) and the agencies notified,
    from its open cases."""
    rows = session.execute(
        select(Case.role, Agency).join(Agency, Agency.id == Case.agency_id)
        .where(Case.report_id == report_id, Case.status.in_(LIVE)).order_by(Case.id)).all()
    primary = next((agency_ref(a) for role, a in rows if role == "primary"), None)
    return primary, tuple(agency_ref(a) for role, a in rows if role == "notified")


def live_notified(session: Session, report_id: str) -> tuple[AgencyRef, ...]:
    """The agencies notified of a report whose cases are still open."""
    return current_agencies(session, report_id)[1]


def declined_codes(session: Session, report_id: str) -> frozenset[str]:
    """The agencies that declined a report: re-routing and escalation leave them out."""
    return frozenset(session.scalars(
        select(Agency.code).join(Case, Case.agency_id == Agency.id)
        .where(Case.report_id == report_id, Case.status == "declined")))


def with_report_notices(session: Session, report: Report, decision: RoutingDecision, *,
                        place: tuple[str | None, str | None] | None = None,
                        excluded: frozenset[str] = frozenset()) -> RoutingDecision:
    """`decision` plus the notices the report's level and categories call for and the levels
    above an unreachable primary, looked up at `place` (province, ward; by default the
    report's own), leaving out the agencies that declined it and `excluded`."""
    province, ward = place or (report.province_code, report.ward_code)
    inp = RoutingInput(level=report.urgency_level, categories=tuple(report.categories),
                       province_code=province, ward_code=ward,
                       excluded=declined_codes(session, report.id) | excluded)
    return with_required_notices(decision, inp, routing_candidates(
        session, province_code=province, ward_code=ward))


@dataclass(frozen=True, slots=True)
class Reassignment:
    previous_primary: str | None
    primary: str
    notified: tuple[str, ...]
    withdrawn: tuple[str, ...]


def new_case(report: Report, agency_id: int, role: str, *, ack_due_at: datetime | None
             ) -> Case:
    return Case(report_id=report.id, agency_id=agency_id, role=role, status="new",
                urgency_rank=urgency_rank(report.urgency_level), ack_due_at=ack_due_at,
                action_due_at=report.action_due_at)


def apply_decision(session: Session, *, report: Report, decision: RoutingDecision, now: datetime,
                   settings: Settings, keep_previous_primary: bool,
                   primary_event: str = "case.assigned") -> Reassignment:
    """Make the report's cases match `decision`. Cases of agencies left out are withdrawn
    (a previous primary is kept notified on escalation); declined cases stay declined unless
    the decision names their agency again. The new primary's deadline restarts now."""
    cases = {c.agency_id: c for c in session.scalars(
        select(Case).where(Case.report_id == report.id).with_for_update())}
    ids = agency_ids(session, [decision.primary, *decision.notified])
    codes = dict(session.execute(select(Agency.id, Agency.code).where(
        Agency.id.in_(list(cases)))).all())
    previous_id = next((c.agency_id for c in cases.values()
                        if c.role == "primary" and c.status in LIVE), None)
    previous = codes[previous_id] if previous_id is not None else None
    ack_due = now + settings.ack_deadline(report.urgency_level)
    wanted: dict[int, str] = {ids[a.code]: "notified" for a in decision.notified}
    wanted[ids[decision.primary.code]] = "primary"
    if keep_previous_primary and previous_id is not None:
        wanted.setdefault(previous_id, "notified")
    events: dict[str, list[Case]] = {}
    withdrawn: list[str] = []
    for agency_id, case in cases.items():
        role = wanted.pop(agency_id, None)
        if role is None:
            if case.status in LIVE:
                case.status = "withdrawn"
                withdrawn.append(codes[agency_id])
                events.setdefault("case.withdrawn", []).append(case)
            continue
        before = (case.role, case.status)
        if case.status in ("withdrawn", "declined"):  # chosen again: a fresh start
            case.status, case.acknowledged_at = "new", None
        became_primary = role == "primary" and case.role != "primary"
        if became_primary:
            case.ack_due_at = ack_due
        case.role = role
        if (case.role, case.status) != before:
            kind = primary_event if became_primary else "case.updated"
            events.setdefault(kind, []).append(case)
    for agency_id, role in wanted.items():
        case = new_case(report, agency_id, role,
                         ack_due_at=ack_due if role == "primary" else report.ack_due_at)
        session.add(case)
        kind = primary_event if role == "primary" else "case.assigned"
        events.setdefault(kind, []).append(case)
    session.flush()
    for kind, group in events.items():
        changes.touch(session, group, kind)
    report.status = decision.status
    report.routing_notes = list(decision.reasons)
    report.routing_policy_version = decision.policy_version
    if previous != decision.primary.code:  # a new primary's deadline restarts now
        report.ack_due_at = ack_due
    report.updated_at = now
    notified = [a.code for a in decision.notified]
    if keep_previous_primary and previous is not None and previous != decision.primary.code \
            and previous not in notified:
        notified.append(previous)  # kept notified (wanted.setdefault above)
    return Reassignment(previous_primary=previous, primary=decision.primary.code,
                        notified=tuple(notified), withdrawn=tuple(withdrawn))


def record(session: Session, *, report: Report, action: str, actor: str, now: datetime,
           result: Reassignment, reason: str | None, extra: dict[str, Any] | None = None
           ) -> None:
    audit.append(session, report_id=report.id, action=action, actor=actor, occurred_at=now,
                 payload={"reference": report.reference, "from": result.previous_primary,
                          "primary": result.primary, "notified": list(result.notified),
                          "withdrawn": list(result.withdrawn), "reason": reason,
                          "status": report.status, "policy_version":
                              report.routing_policy_version, **(extra or {})})


def manual_decision(agency: AgencyRef, current_notified: tuple[AgencyRef, ...], reason: str
                    ) -> RoutingDecision:
    return RoutingDecision(
        status="needs_manual_routing" if agency.kind == "national_desk" else "routed",
        primary=agency, notified=tuple(a for a in current_notified if a.code != agency.code),
        reasons=(f"manual assignment to {agency.code}: {reason}",),
        policy_version="manual")
