"""The agency side: an agency's cases, their state machine, the work queue and the feed."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, tuple_
from sqlalchemy.orm import Session

from app import audit
from app.cases import changes
from app.cases.assign import apply_decision, declined_codes, record, urgency_rank
from app.config import Settings
from app.errors import Conflict, InvalidField, NotFound
from app.geo import resolve, units
from app.geo.types import Location
from app.models import Case, Report
from app.reports.confidential import mask_phones
from app.reports.service import decide_routing, stored_location, stored_urgency
from app.security import Principal

# Where an agency may move its own case (decline has its own endpoint; withdrawn is ours).
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"acknowledged"}),
    "acknowledged": frozenset({"in_progress", "referred", "resolved"}),
    "in_progress": frozenset({"referred", "resolved"}),
    "referred": frozenset({"closed", "in_progress"}),
    "resolved": frozenset({"closed", "in_progress"}),
    "closed": frozenset(),
    "declined": frozenset(),
    "withdrawn": frozenset(),
}
DECLINABLE = frozenset({"new", "acknowledged", "in_progress"})
# Still owing action: these can be past their action deadline (overdue).
OPEN_FOR_ACTION = ("new", "acknowledged", "in_progress", "referred")
CASE_STATUSES = tuple(TRANSITIONS)


def load_case(session: Session, principal: Principal, report_id: str, *, lock: bool = False
              ) -> tuple[Case, Report]:
    """The caller's own live-or-finished case of this report; anything else is 404."""
    stmt = (select(Case, Report).join(Report, Report.id == Case.report_id)
            .where(Case.report_id == report_id, Case.agency_id == principal.agency_id,
                   Case.status != "withdrawn"))
    if lock:
        stmt = stmt.with_for_update(of=Case)
    row = session.execute(stmt).one_or_none()
    if row is None:
        raise NotFound("No such case for this agency.")
    return row[0], row[1]


def _move(session: Session, *, case: Case, report: Report, to: str, principal: Principal,
          now: datetime, note: str | None) -> None:
    if to not in TRANSITIONS[case.status]:
        raise Conflict(f"A case cannot move from {case.status} to {to}.",
                       extra={"current_status": case.status})
    before = case.status
    case.status, case.note, case.updated_at = to, note, now
    if to == "acknowledged":
        case.acknowledged_at = now
    changes.touch(session, [case], "case.updated")
    if case.role == "primary" and to == "closed":
        report.status, report.updated_at = "closed", now
    audit.append(session, report_id=report.id, action=f"case.{to}", actor=principal.actor,
                 occurred_at=now, payload={"agency": principal.agency_code, "from": before,
                                           "to": to, "role": case.role, "note": note})


def acknowledge(*, session: Session, principal: Principal, report_id: str, now: datetime
                ) -> tuple[Case, Report]:
    case, report = load_case(session, principal, report_id, lock=True)
    _move(session, case=case, report=report, to="acknowledged", principal=principal, now=now,
          note=None)
    return case, report


def set_status(*, session: Session, principal: Principal, report_id: str, status: str,
               note: str | None, now: datetime) -> tuple[Case, Report]:
    case, report = load_case(session, principal, report_id, lock=True)
    _move(session, case=case, report=report, to=status, principal=principal, now=now, note=note)
    return case, report


def decline(*, session: Session, principal: Principal, report_id: str, reason: str,
            suggested_ward_code: str | None, now: datetime, settings: Settings
            ) -> tuple[Case, Report]:
    """The agency says the case is not theirs. A primary's decline re-routes the report by the
    same policy, the declining agencies excluded and the suggested ward considered."""
    if suggested_ward_code is not None and units.official_ward(suggested_ward_code) is None:
        raise InvalidField("suggested_ward_code", "not an official ward code")
    case, report = load_case(session, principal, report_id, lock=True)
    if case.status not in DECLINABLE:
        raise Conflict(f"A case in status {case.status} cannot be declined.",
                       extra={"current_status": case.status})
    case.status, case.note, case.updated_at = "declined", reason, now
    changes.touch(session, [case], "case.updated")
    extra = {"agency": principal.agency_code, "reason": reason,
             "suggested_ward_code": suggested_ward_code}
    if case.role != "primary":
        audit.append(session, report_id=report.id, action="case.declined",
                     actor=principal.actor, occurred_at=now, payload=extra)
        return case, report
    declined = declined_codes(session, report.id)
    location = _place_for_rerouting(report, suggested_ward_code)
    if suggested_ward_code is not None:  # the place is corrected: escalation goes from there
        report.location = location.to_dict()
        report.province_code, report.ward_code = location.province_code, location.ward_code
    decision = decide_routing(session, level=report.urgency_level,
                              categories=tuple(report.categories), location=location,
                              original=None, excluded=declined)
    result = apply_decision(session, report=report, decision=decision, now=now,
                            settings=settings, keep_previous_primary=False)
    record(session, report=report, action="report.rerouted_after_decline",
           actor=principal.actor, now=now, result=result, reason=reason, extra=extra)
    return case, report


def _place_for_rerouting(report: Report, suggested_ward_code: str | None) -> Location:
    if suggested_ward_code is None:
        return stored_location(report)
    return resolve(ward_code=suggested_ward_code)  # checked above: an official ward


@dataclass(frozen=True, slots=True)
class CaseQuery:
    agency_id: int
    statuses: list[str]
    levels: list[str]
    limit: int
    cursor: str | None


Rows = list[tuple[Case, Report]]


def _filtered(stmt: Select[Case, Report], statuses: list[str], levels: list[str]
              ) -> Select[Case, Report]:
    if statuses:
        stmt = stmt.where(Case.status.in_(statuses))
    if levels:
        stmt = stmt.where(Case.urgency_rank.in_([urgency_rank(x) for x in levels]))
    return stmt


def queue_page(session: Session, q: CaseQuery) -> tuple[Rows, str | None]:
    """Most urgent first, then the earliest acknowledgement deadline. Keyset-paged."""
    stmt = (select(Case, Report).join(Report, Report.id == Case.report_id)
            .where(Case.agency_id == q.agency_id))
    stmt = _filtered(stmt, q.statuses or [s for s in CASE_STATUSES if s != "withdrawn"],
                     q.levels)
    far = datetime(9999, 1, 1).isoformat()
    if q.cursor:
        rank, due, case_id = changes.decode_cursor(q.cursor, "queue", 3)
        if not isinstance(rank, int) or not isinstance(due, str) or not isinstance(case_id, int):
            raise InvalidField("cursor", "not a queue cursor")
        due_at = datetime.fromisoformat(due)
        stmt = stmt.where(or_(Case.urgency_rank > rank, and_(
            Case.urgency_rank == rank,
            tuple_(Case.ack_due_at, Case.id) > tuple_(due_at, case_id))))
    rows = session.execute(stmt.order_by(Case.urgency_rank, Case.ack_due_at, Case.id)
                           .limit(q.limit + 1)).all()
    page: Rows = [(c, r) for c, r in rows[:q.limit]]
    nxt = None
    if len(rows) > q.limit and page:
        last = page[-1][0]
        nxt = changes.encode_cursor("queue", (last.urgency_rank, (
            last.ack_due_at.isoformat() if last.ack_due_at else far), last.id))
    return page, nxt


def feed_page(session: Session, q: CaseQuery) -> tuple[Rows, str, bool]:
    """Every case created or changed since `cursor`, in change order, tombstones included;
    the page, the cursor after it and whether more changes follow."""
    after: tuple[int, int] = (0, 0)
    if q.cursor:
        txid, seq = changes.decode_cursor(q.cursor, "feed", 2)
        if not isinstance(txid, int) or not isinstance(seq, int):
            raise InvalidField("cursor", "not a feed cursor")
        after = (txid, seq)
    stmt = (select(Case, Report).join(Report, Report.id == Case.report_id)
            .where(Case.agency_id == q.agency_id,
                   tuple_(Case.change_txid, Case.change_seq) > tuple_(*after)))
    horizon = changes.visible_horizon(session)
    if horizon is not None:
        xmin, own = horizon
        stmt = stmt.where(or_(Case.change_txid < xmin, Case.change_txid == own)
                          if own is not None else Case.change_txid < xmin)
    stmt = _filtered(stmt, q.statuses, q.levels)
    rows = session.execute(stmt.order_by(Case.change_txid, Case.change_seq).limit(q.limit + 1)
                           ).all()
    page: Rows = [(c, r) for c, r in rows[:q.limit]]
    last = (page[-1][0].change_txid, page[-1][0].change_seq) if page else after
    return page, changes.encode_cursor("feed", last), len(rows) > q.limit


def case_item(case: Case, report: Report, *, now: datetime) -> dict[str, Any]:
    """What an agency sees of a case: never the reporter's name or phone."""
    if case.status == "withdrawn":
        return {"id": report.id, "status": "withdrawn"}
    overdue = case.overdue or (case.status in OPEN_FOR_ACTION
                               and case.action_due_at is not None and case.action_due_at < now)
    return {
        "id": report.id, "report_reference": report.reference, "status": case.status,
        "role": case.role,
        "urgency": stored_urgency(report, case.ack_due_at, case.action_due_at),
        "primary_category": report.primary_category, "categories": report.categories,
        "description": mask_phones(report.agency_description or report.description),
        "children": report.children, "location": report.location,
        "ack_due_at": case.ack_due_at, "action_due_at": case.action_due_at,
        "acknowledged_at": case.acknowledged_at, "overdue": overdue,
        "updated_at": case.updated_at, "received_at": report.received_at,
        "contact_type": report.contact_type,
    }
