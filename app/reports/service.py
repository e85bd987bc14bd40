"""Intake: a validated report -> triage, place, routing, persisted with its audit entry.

Everything here runs inside the caller's transaction and only flushes.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app import audit
from app.cases import changes
from app.cases.assign import agency_ids, current_agencies, new_case
from app.config import Settings
from app.errors import InvalidField, NotFound
from app.geo import resolve, units
from app.geo.types import Location
from app.models import Agency, Case, Report, insert_new, new_id, utcnow
from app.reports.confidential import keyring, phone_hash, without_reporter_name
from app.reports.schemas import ReportIn
from app.routing.deadlines import VN_TZ, action_due
from app.routing.directory import agency_ref, routing_candidates
from app.routing.policy import (
    AgencyRef,
    RoutingDecision,
    RoutingInput,
    route,
    with_required_notices,
)
from app.security import Principal
from app.triage import triage
from app.triage.types import Child, Indicators, Override, TriageInput, TriageResult
from app.vocab import ROUTED_CONTACT_TYPES
from app.webhooks import service as webhooks

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def triage_report(report_in: ReportIn) -> TriageResult:
    ind = report_in.indicators
    ov = report_in.urgency_override
    return triage(TriageInput(
        contact_type=report_in.contact_type,
        description=report_in.description,
        children=tuple(Child(age=c.age, sex=c.sex) for c in report_in.children),
        categories=tuple(report_in.categories),
        indicators=Indicators(**ind.model_dump()) if ind else None,
        override=Override(level=ov.level, reason=ov.reason) if ov else None,
    ))


@dataclass(frozen=True, slots=True)
class Deadlines:
    ack_due_at: datetime | None
    action_due_at: datetime | None


def deadlines_for(level: str, *, routed_at: datetime, received_at: datetime,
                  settings: Settings) -> Deadlines:
    if level == "none":
        return Deadlines(None, None)
    return Deadlines(routed_at + settings.ack_deadline(level),
                     action_due(settings.action_deadline_spec(level), received_at=received_at))


def urgency_view(result: TriageResult, deadlines: Deadlines) -> dict[str, Any]:
    return {"level": result.level, "reasons": list(result.reasons),
            "ruleset_version": result.ruleset_version, "computed_level": result.computed_level,
            "ack_due_at": deadlines.ack_due_at, "action_due_at": deadlines.action_due_at}


def resolve_location(report_in: ReportIn) -> Location:
    loc = report_in.location
    if loc is None:
        return resolve()
    if loc.province_code is not None and units.province(loc.province_code) is None:
        raise InvalidField("location.province_code", "not an official province code")
    if loc.ward_code is not None and units.official_ward(loc.ward_code) is None:
        raise InvalidField("location.ward_code", "not an official ward code")
    return resolve(address=loc.address, province_code=loc.province_code,
                   ward_code=loc.ward_code, lat=loc.lat, lon=loc.lon)


def stored_location(report: Report) -> Location:
    """The place a report was resolved to, as the routing policy takes it."""
    return Location(**{**report.location, "candidates": ()})


def find_report(session: Session, ref: str) -> Report | None:
    return session.scalars(select(Report).where(or_(Report.id == ref, Report.reference == ref))
                           ).one_or_none()


def new_reference(received_at: datetime) -> str:
    """`111-YYMMDD-XXXXXXXX`: the day (Vietnam time) and 40 random bits. Two references of one
    day collide with odds of about one in a million per day at the real load; the unique
    constraint turns that into a failed request, which the client's retry resolves."""
    day = received_at.astimezone(VN_TZ).strftime("%y%m%d")
    return f"111-{day}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _route_follow_up(session: Session, original: Report) -> RoutingDecision | None:
    """A follow-up goes to the agencies of the report it follows (their live cases)."""
    primary, notified = current_agencies(session, original.id)
    if primary is None:
        return None
    return RoutingDecision(
        status="needs_manual_routing" if primary.kind == "national_desk" else "routed",
        primary=primary, notified=notified,
        reasons=(f"follow-up of {original.reference}: sent to its agencies",),
        policy_version=f"follow-up-of:{original.reference}")


def decide_routing(session: Session, *, level: str, categories: tuple[str, ...],
                   location: Location, original: Report | None,
                   excluded: frozenset[str] = frozenset()) -> RoutingDecision:
    directory = routing_candidates(session, province_code=location.province_code,
                                   ward_code=location.ward_code)
    inp = RoutingInput(level=level, categories=categories, province_code=location.province_code,
                       ward_code=location.ward_code, excluded=excluded)
    if original is not None:
        decision = _route_follow_up(session, original)
        if decision is not None:  # its agencies, and the notices this follow-up calls for
            return with_required_notices(decision, inp, directory)
    return route(inp, directory)


CaseRows = list[tuple[Case, AgencyRef]]


def open_cases(session: Session, *, report: Report, decision: RoutingDecision,
               deadlines: Deadlines) -> CaseRows:
    targets = [(decision.primary, "primary"), *((a, "notified") for a in decision.notified)]
    ids = agency_ids(session, [ref for ref, _ in targets])
    # report.ack_due_at and action_due_at are these deadlines (set by _build_report)
    rows = [(new_case(report, ids[ref.code], role, ack_due_at=deadlines.ack_due_at), ref)
            for ref, role in targets]
    cases = [case for case, _ in rows]
    insert_new(session, cases, computed=changes.stamp_new(session, cases))
    # every ref from the directory query knows its webhook; otherwise let emit() look
    known = all(ref.agency_id is not None for ref, _ in targets)
    hooked = {c.agency_id: ref.code for c, ref in rows if ref.has_webhook} if known else None
    webhooks.emit(session, cases, "case.assigned", hooked=hooked)
    return rows


def routing_audit_payload(report: Report, result: TriageResult, location: Location,
                          decision: RoutingDecision | None) -> dict[str, Any]:
    return {
        "reference": report.reference, "contact_type": report.contact_type,
        "follow_up_of": report.follow_up_of_id, "status": report.status,
        "urgency": {"level": result.level, "computed_level": result.computed_level,
                    "override_reason": report.override_reason, "rule_ids": list(result.rule_ids),
                    "ruleset_version": result.ruleset_version},
        "categories": list(result.categories),
        "location": {"resolution": location.resolution, "province_code": location.province_code,
                     "ward_code": location.ward_code, "ambiguous": location.ambiguous},
        "policy_version": decision.policy_version if decision else None,
        "primary": decision.primary.code if decision else None,
        "notified": [a.code for a in decision.notified] if decision else [],
        "reasons": list(decision.reasons) if decision else [],
    }


@dataclass(frozen=True, slots=True)
class Intake:
    report: Report
    cases: CaseRows  # the cases it opened, with their agencies


def create_report(*, session: Session, report_in: ReportIn, principal: Principal,
                  settings: Settings, now: datetime | None = None) -> Intake:
    now = now or utcnow()
    received_at = report_in.received_at or now
    if received_at > now + timedelta(minutes=10):
        raise InvalidField("received_at", "is in the future")
    original = None
    if report_in.follow_up_of is not None:
        original = find_report(session, report_in.follow_up_of)
        if original is None:
            raise InvalidField("follow_up_of", "no report with this id or reference")
    result = triage_report(report_in)
    location = resolve_location(report_in)
    if original is not None and location.resolution == "unresolved":
        location = stored_location(original)
    routed = report_in.contact_type in ROUTED_CONTACT_TYPES
    decision = (decide_routing(session, level=result.level, categories=result.categories,
                               location=location, original=original) if routed else None)
    deadlines = deadlines_for(result.level, routed_at=now, received_at=received_at,
                              settings=settings)
    report = _build_report(session, report_in, principal=principal, result=result,
                           location=location, decision=decision, deadlines=deadlines,
                           received_at=received_at, original=original, now=now)
    _seal_reporter(report, report_in, settings)
    try:
        insert_new(session, [report])
    except (IntegrityError, OperationalError) as exc:
        if report.external_ref is not None and _external_ref_clash(exc):
            raise ExternalRefClash from None
        raise
    cases = (open_cases(session, report=report, decision=decision, deadlines=deadlines)
             if decision is not None else [])
    audit.append(session, report_id=report.id, action="report.routed" if routed else
                 "report.closed_at_hotline", actor=principal.actor, occurred_at=now,
                 payload=routing_audit_payload(report, result, location, decision))
    return Intake(report, cases)


class ExternalRefClash(Exception):
    """Another transaction wrote, or is writing, a report with this key's external_ref: the
    check before the insert raced it. The caller rolls back and answers 409."""


_EXTERNAL_REF_UNIQUE = "uq_reports_submitted_by_key_id_external_ref"


def _external_ref_clash(exc: DBAPIError) -> bool:
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if isinstance(exc, IntegrityError):
        if diag is not None:  # PostgreSQL names the constraint
            return bool(diag.constraint_name == _EXTERNAL_REF_UNIQUE)
        return "reports.external_ref" in str(orig)  # SQLite names the columns
    # PostgreSQL: waited past the claim's lock wait on the unique index, for a transaction
    # that holds the same external_ref and has not ended
    return getattr(orig, "sqlstate", None) == "55P03"


def _build_report(session: Session, report_in: ReportIn, *, principal: Principal,
                  result: TriageResult, location: Location, decision: RoutingDecision | None,
                  deadlines: Deadlines, received_at: datetime, original: Report | None,
                  now: datetime) -> Report:
    loc_in = report_in.location.model_dump(exclude_none=True) if report_in.location else {}
    return Report(
        id=new_id(), reference=new_reference(received_at), channel=report_in.channel,
        contact_type=report_in.contact_type, follow_up_of_id=original.id if original else None,
        external_ref=report_in.external_ref, submitted_by_key_id=principal.key_id,
        received_at=received_at, created_at=now, updated_at=now,
        status=decision.status if decision else "closed_at_hotline",
        description=report_in.description,
        children=[c.model_dump() for c in report_in.children],
        location_input=loc_in, location=location.to_dict(),
        province_code=location.province_code, ward_code=location.ward_code,
        urgency_level=result.level, computed_level=result.computed_level,
        urgency_reasons=list(result.reasons), ruleset_version=result.ruleset_version,
        override_reason=report_in.urgency_override.reason if report_in.urgency_override else None,
        primary_category=result.primary_category, categories=list(result.categories),
        indicators=report_in.indicators.model_dump(exclude_none=True)
        if report_in.indicators else {},
        routing_notes=list(decision.reasons) if decision else [],
        routing_policy_version=decision.policy_version if decision else None,
        ack_due_at=deadlines.ack_due_at, action_due_at=deadlines.action_due_at,
    )


def _seal_reporter(report: Report, report_in: ReportIn, settings: Settings) -> None:
    rep = report_in.reporter
    if rep is None:
        return
    report.reporter_anonymous = bool(rep.anonymous)
    report.reporter_relationship = rep.relationship
    masked = without_reporter_name(report.description, rep.name)
    if masked != report.description:
        report.agency_description = masked
    if rep.name or rep.phone:
        report.reporter_contact = keyring(settings.reporter_keys).seal(
            {"name": rep.name, "phone": rep.phone}, report_id=report.id)
    if rep.phone:
        report.reporter_phone_hash = phone_hash(rep.phone, key=settings.reporter_hash_key)


def get_report(session: Session, report_id: str) -> Report:
    report = find_report(session, report_id)
    if report is None:
        raise NotFound("No report with this id.")
    return report


def previous_reports(session: Session, report: Report) -> int:
    if not report.reporter_phone_hash:
        return 0
    return session.scalar(select(func.count()).select_from(Report).where(
        Report.reporter_phone_hash == report.reporter_phone_hash,
        Report.created_at < report.created_at)) or 0


def stored_urgency(report: Report, ack_due_at: datetime | None,
                   action_due_at: datetime | None) -> dict[str, Any]:
    """The `urgency` object of a stored report, with the deadlines of the one asking."""
    return {"level": report.urgency_level, "reasons": report.urgency_reasons,
            "ruleset_version": report.ruleset_version, "computed_level": report.computed_level,
            "ack_due_at": ack_due_at, "action_due_at": action_due_at}


def report_cases(session: Session, report: Report) -> CaseRows:
    return [(c, agency_ref(a)) for c, a in session.execute(
        select(Case, Agency).join(Agency, Agency.id == Case.agency_id)
        .where(Case.report_id == report.id).order_by(Case.id)).all()]


def report_view(session: Session, report: Report, cases: CaseRows | None = None
                ) -> dict[str, Any]:
    """The report as the hotline sees it (API-CONTRACT.md), current assignment included.
    `cases` when the caller has them at hand (intake), else they are read."""
    rows = report_cases(session, report) if cases is None else cases
    live = [(c, a) for c, a in rows if c.status not in ("withdrawn", "declined")]
    primary = next((a for c, a in live if c.role == "primary"), None)
    return {
        "id": report.id, "reference": report.reference, "status": report.status,
        "contact_type": report.contact_type, "channel": report.channel,
        "follow_up_of": report.follow_up_of_id, "external_ref": report.external_ref,
        "received_at": report.received_at,
        "urgency": stored_urgency(report, report.ack_due_at, report.action_due_at),
        "primary_category": report.primary_category, "categories": report.categories,
        "location": report.location,
        "assignment": {"agency": primary.to_dict()} if primary else None,
        "notified": [a.to_dict() for c, a in live if c.role == "notified"],
        # current cases only: a declined or withdrawn one is history (the audit trail's),
        # and would still name its old role
        "cases": [{"agency": a.to_dict(), "role": c.role, "status": c.status,
                   "acknowledged_at": c.acknowledged_at} for c, a in live],
        "routing": {"policy_version": report.routing_policy_version,
                    "reasons": report.routing_notes},
        "reporter": {"anonymous": report.reporter_anonymous,
                     "relationship": report.reporter_relationship,
                     "has_contact": report.reporter_contact is not None,
                     "previous_reports": previous_reports(session, report)},
        "created_at": report.created_at,
    }
