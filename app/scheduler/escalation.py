"""Escalation: a primary that has not acknowledged by its deadline hands over to the next level.

Each batch is one short transaction: due cases are claimed with FOR UPDATE SKIP LOCKED, so
several schedulers share the work without waiting on each other, and a unique (report, step)
row is the last line of defence against escalating twice. A scheduler killed mid-batch rolls
back; the next run finds the same cases still due and completes them.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.cases.assign import apply_decision, declined_codes, live_notified, record
from app.config import Settings
from app.models import Agency, Case, Escalation, Report
from app.observability import ESCALATIONS
from app.routing.directory import agency_ref, routing_candidates
from app.routing.policy import RoutingInput, escalate, load_policy


def due_cases(session: Session, *, now: datetime, limit: int) -> list[Case]:
    ladder = load_policy().escalation[:-1]  # the top of the ladder has nobody above it
    return list(session.scalars(
        select(Case).join(Agency, Agency.id == Case.agency_id)
        .where(Case.role == "primary", Case.status == "new", Case.ack_due_at < now,
               Agency.kind.in_(ladder))
        .order_by(Case.ack_due_at, Case.id).limit(limit)
        .with_for_update(skip_locked=True, of=Case)))


def escalate_case(session: Session, case: Case, *, now: datetime, settings: Settings) -> bool:
    report = session.get(Report, case.report_id)
    agency = session.get(Agency, case.agency_id)
    if report is None or agency is None:
        return False
    notified = live_notified(session, report.id)
    declined = declined_codes(session, report.id)
    inp = RoutingInput(level=report.urgency_level, categories=tuple(report.categories),
                       province_code=report.province_code, ward_code=report.ward_code,
                       excluded=declined | {agency.code})
    directory = routing_candidates(session, province_code=report.province_code,
                                   ward_code=report.ward_code)
    decision = escalate(from_agency=agency_ref(agency), current_notified=notified, inp=inp,
                        directory=directory)
    if decision is None:
        return False
    step = report.escalation_step + 1
    try:
        with session.begin_nested():
            session.add(Escalation(report_id=report.id, step=step, from_agency=agency.code,
                                   to_agency=decision.primary.code, escalated_at=now))
    except IntegrityError:
        return False  # another scheduler took this step
    report.escalation_step = step
    result = apply_decision(session, report=report, decision=decision, now=now,
                            settings=settings, keep_previous_primary=True,
                            primary_event="case.escalated")
    record(session, report=report, action="report.escalated", actor="scheduler", now=now,
           result=result, reason=f"{agency.code} did not acknowledge by "
                                 f"{case.ack_due_at.isoformat() if case.ack_due_at else '?'}",
           extra={"step": step})
    ESCALATIONS.inc()
    return True


def escalate_due(session: Session, *, now: datetime, settings: Settings, limit: int = 100
                 ) -> int:
    """One batch, in the caller's transaction. Returns how many cases were escalated."""
    return sum(escalate_case(session, case, now=now, settings=settings)
               for case in due_cases(session, now=now, limit=limit))
