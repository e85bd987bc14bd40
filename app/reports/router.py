"""Hotline side: reports, triage, audit of a report."""

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, idempotency
from app.admin.schemas import AssignIn
from app.admin.service import agency_by_code
from app.audit import sealer
from app.cases.assign import (
    apply_decision,
    live_notified,
    manual_decision,
    record,
    with_report_notices,
)
from app.deps import AppSettings, DbSession
from app.errors import Conflict, Forbidden, InvalidField
from app.models import Agency, AuditSeal, Report, utcnow
from app.observability import REPORTS
from app.reports import service
from app.reports.schemas import AuditEntryOut, ReportIn, ReportOut, TriageOut
from app.routing.directory import agency_ref, reachable_clause
from app.security import Principal, allow
from app.triage import ruleset

router = APIRouter(prefix="/v1", tags=["hotline"])

IDEMPOTENCY_DOC = ("Required. The same key and body replay the first response; another body "
                   "gives 422; a retry while the first is in flight gives 409.")


def _existing_external_ref(session: Session, principal: Principal, ref: str | None) -> None:
    if ref is None:
        return
    first = session.scalar(select(Report.reference).where(
        Report.submitted_by_key_id == principal.key_id, Report.external_ref == ref))
    if first is not None:
        raise Conflict(f"external_ref {ref!r} was already used by report {first}.",
                       extra={"report_reference": first})


@router.post("/reports", status_code=201, response_model=ReportOut)
def create_report(
    report_in: ReportIn,
    principal: Annotated[Principal, allow("callcentre", "app")],
    session: DbSession,
    settings: AppSettings,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                  description=IDEMPOTENCY_DOC)] = None,
) -> Any:
    if report_in.urgency_override is not None and principal.role != "callcentre":
        raise Forbidden("Only the call centre may override urgency.")
    key = idempotency.check_key(idempotency_key)
    replay = idempotency.claim(
        session, api_key_id=principal.key_id, key=key,
        fp=idempotency.fingerprint(report_in.model_dump(mode="json", exclude_unset=True)),
        ttl=timedelta(hours=settings.idempotency_ttl_hours))
    if replay is not None:
        return Response(replay.body, status_code=replay.status, media_type="application/json",
                        headers={"Idempotent-Replayed": "true"})
    _existing_external_ref(session, principal, report_in.external_ref)
    try:
        intake = service.create_report(session=session, report_in=report_in,
                                       principal=principal, settings=settings)
    except service.ExternalRefClash:
        session.rollback()  # nothing of this request stays, its idempotency claim included
        _existing_external_ref(session, principal, report_in.external_ref)  # committed: 409
        raise Conflict(f"external_ref {report_in.external_ref!r} is used by a report being "
                       "created right now; retry to learn which.",
                       headers={"Retry-After": "1"}) from None
    report = intake.report
    body = ReportOut.model_validate(service.report_view(session, report, intake.cases)
                                    ).model_dump_json()  # encoded once: stored and sent
    idempotency.complete(session, api_key_id=principal.key_id, key=key, status=201, body=body)
    session.commit()  # here, on this worker thread: the session dependency then needs none
    sealer.notify()  # link the new audit entry into the chain soon, off the request path
    REPORTS.labels(report.urgency_level, report.location["resolution"]).inc()
    return Response(body, status_code=201, media_type="application/json")


@router.get("/reports/{report_id}", response_model=ReportOut)
def read_report(report_id: str, _: Annotated[Principal, allow("callcentre", "admin")],
                session: DbSession) -> Any:
    return service.report_view(session, service.get_report(session, report_id))


@router.post("/triage", response_model=TriageOut)
def triage_only(report_in: ReportIn,
                principal: Annotated[Principal, allow("callcentre", "app")],
                settings: AppSettings) -> Any:
    """Suggested urgency while the operator is still on the call. Stores nothing."""
    if report_in.urgency_override is not None and principal.role != "callcentre":
        raise Forbidden("Only the call centre may override urgency.")
    result = service.triage_report(report_in)
    now = utcnow()
    deadlines = service.deadlines_for(result.level, routed_at=now,
                                      received_at=report_in.received_at or now, settings=settings)
    return {"urgency": service.urgency_view(result, deadlines),
            "primary_category": result.primary_category, "categories": list(result.categories),
            "rule_ids": list(result.rule_ids)}


@router.get("/triage/ruleset")
def triage_ruleset(_: Annotated[Principal, allow("admin")]) -> dict[str, Any]:
    return ruleset()


@router.get("/reports/{report_id}/audit", response_model=list[AuditEntryOut])
def report_audit(report_id: str, _: Annotated[Principal, allow("admin")],
                 session: DbSession) -> Any:
    report = service.get_report(session, report_id)
    entries = audit.entries_for_report(session, report.id)
    seals = dict(session.execute(select(AuditSeal.entry_id, AuditSeal)
                                 .where(AuditSeal.entry_id.in_([e.id for e in entries]))).all())
    return [{"id": e.id, "seq": seals[e.id].seq if e.id in seals else None,
             "action": e.action, "actor": e.actor, "occurred_at": e.occurred_at,
             "payload": json.loads(e.payload), "content_hash": e.content_hash,
             "chain_hash": seals[e.id].chain_hash if e.id in seals else None}
            for e in entries]


@router.post("/reports/{report_id}/assign", response_model=ReportOut)
def assign_report(report_id: str, body: AssignIn, principal: Annotated[Principal, allow("admin")],
                  session: DbSession, settings: AppSettings) -> Any:
    """Manual routing by the national desk: the named agency becomes primary."""
    report = service.get_report(session, report_id)
    if report.status == "closed_at_hotline":
        raise Conflict("A contact closed at the hotline is not routed; file it as a report.")
    agency = agency_by_code(session, body.agency_code)
    if not agency.active:
        raise InvalidField("agency_code", "the agency is inactive")
    notified = live_notified(session, report.id)
    now = utcnow()
    reachable = bool(session.scalar(select(reachable_clause()).where(Agency.id == agency.id)))
    # the place where it happened; when that is unknown, the assigned agency's own
    province, ward = ((report.province_code, report.ward_code) if report.province_code else
                      (agency.province_code, agency.unit_code if agency.level == "commune"
                       else None))
    decision = with_report_notices(
        session, report,
        manual_decision(agency_ref(agency, reachable=reachable), notified, body.reason),
        place=(province, ward))
    result = apply_decision(session, report=report, decision=decision, now=now,
                            settings=settings, keep_previous_primary=False)
    record(session, report=report, action="report.assigned_manually", actor=principal.actor,
           now=now, result=result, reason=body.reason)
    return service.report_view(session, report)
