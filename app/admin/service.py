"""Directory administration: agencies, coverage, deactivation (re-routing open cases)."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import audit
from app.cases import changes
from app.cases.assign import LIVE, apply_decision, current_agencies, record, with_report_notices
from app.config import Settings
from app.errors import Conflict, InvalidField, NotFound
from app.geo import units
from app.models import Agency, AgencyCoverage, ApiKey, Case, Report
from app.reports.service import decide_routing, stored_location
from app.routing.directory import reachable_clause
from app.routing.policy import RoutingDecision


def agency_by_code(session: Session, code: str) -> Agency:
    agency = session.scalars(select(Agency).where(Agency.code == code)).one_or_none()
    if agency is None:
        raise NotFound(f"No agency {code!r}.")
    return agency


def _official_units(level: str, unit_code: str | None, coverage: list[str]
                    ) -> tuple[str | None, list[str], str | None]:
    """Check unit codes against today's units and read them as official codes.
    Returns (unit_code, coverage, province_code)."""
    expected = {"commune": 5, "province": 2}.get(level)

    def read(field: str, code: str) -> str:
        if expected is None or len(code) != expected:
            raise InvalidField(field, f"a {level} agency takes {expected or 'no'}-digit units")
        if expected == 2:
            if units.province(code) is None:
                raise InvalidField(field, f"{code} is not an official province")
            return code
        ward = units.official_ward(code)
        if ward is None:
            raise InvalidField(field, f"{code} is not an official commune")
        return ward.code

    unit = read("unit_code", unit_code) if unit_code is not None else None
    covered = sorted({read("coverage", c) for c in coverage})
    ward = units.official_ward(unit) if unit and expected == 5 else None
    return unit, covered, ward.province_code if ward else unit


def view(session: Session, agency: Agency) -> dict[str, Any]:
    coverage = session.scalars(select(AgencyCoverage.unit_code).where(
        AgencyCoverage.agency_id == agency.id).order_by(AgencyCoverage.unit_code)).all()
    reachable = session.scalar(select(reachable_clause()).where(Agency.id == agency.id))
    return {"code": agency.code, "name": agency.name, "kind": agency.kind,
            "level": agency.level, "unit_code": agency.unit_code,
            "province_code": agency.province_code, "active": agency.active,
            "coverage": list(coverage), "reachable": bool(reachable)}


def set_coverage(session: Session, agency: Agency, coverage: list[str]) -> None:
    session.execute(delete(AgencyCoverage).where(AgencyCoverage.agency_id == agency.id))
    session.add_all(AgencyCoverage(agency_id=agency.id, unit_code=c) for c in coverage)
    session.flush()


def create_agency(session: Session, *, code: str, name: str, kind: str, level: str,
                  unit_code: str | None, coverage: list[str], actor: str) -> Agency:
    if session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
        raise Conflict(f"Agency {code!r} exists already.")
    if (level == "national") != (unit_code is None):
        raise InvalidField("unit_code", "required for commune and province agencies only")
    unit_code, coverage, province = _official_units(level, unit_code, coverage)
    agency = Agency(code=code, name=name, kind=kind, level=level, unit_code=unit_code,
                    province_code=province, active=True)
    session.add(agency)
    session.flush()
    set_coverage(session, agency, coverage)
    audit.append(session, report_id=None, action="agency.created", actor=actor,
                 payload={"code": code, "kind": kind, "level": level, "unit_code": unit_code,
                          "coverage": coverage})
    return agency


def update_agency(session: Session, *, agency: Agency, name: str | None,
                  coverage: list[str] | None, actor: str) -> Agency:
    if name is not None:
        agency.name = name
    if coverage is not None:
        _, coverage, _ = _official_units(agency.level, None, coverage)
        set_coverage(session, agency, coverage)
    audit.append(session, report_id=None, action="agency.updated", actor=actor,
                 payload={"code": agency.code, "name": name, "coverage": coverage})
    session.flush()
    return agency


def deactivate_agency(session: Session, *, agency: Agency, reason: str, actor: str,
                      now: datetime, settings: Settings) -> tuple[int, int]:
    """Deactivate; its open primary cases are re-routed without it, other open cases
    withdrawn. Returns (reports re-routed, cases withdrawn)."""
    if not agency.active:
        raise Conflict(f"Agency {agency.code!r} is already inactive.")
    if agency.kind == "national_desk" and not session.scalar(select(Agency.id).where(
            Agency.kind == "national_desk", Agency.active.is_(True), Agency.id != agency.id)):
        raise Conflict("The only active national desk cannot be deactivated: reports whose "
                       "place resolves to nothing go to it.")
    agency.active = False
    session.flush()
    open_cases = session.execute(
        select(Case, Report).join(Report, Report.id == Case.report_id)
        .where(Case.agency_id == agency.id, Case.status.in_(LIVE)).order_by(Case.id)
        .with_for_update(of=Case)).all()
    rerouted = withdrawn = 0
    for case, report in open_cases:
        if case.role != "primary":
            case.status = "withdrawn"
            changes.touch(session, [case], "case.withdrawn")
            withdrawn += 1
            audit.append(session, report_id=report.id, action="case.withdrawn", actor=actor,
                         occurred_at=now, payload={"agency": agency.code, "reason": reason})
            _replace_notice(session, report=report, gone=agency.code, reason=reason,
                            actor=actor, now=now, settings=settings)
            continue
        decision = decide_routing(session, level=report.urgency_level,
                                  categories=tuple(report.categories),
                                  location=stored_location(report),
                                  original=None, excluded=frozenset({agency.code}))
        result = apply_decision(session, report=report, decision=decision, now=now,
                                settings=settings, keep_previous_primary=False)
        record(session, report=report, action="report.rerouted_after_deactivation", actor=actor,
               now=now, result=result, reason=reason)
        rerouted += 1
    audit.append(session, report_id=None, action="agency.deactivated", actor=actor,
                 occurred_at=now, payload={"code": agency.code, "reason": reason,
                                           "rerouted": rerouted, "withdrawn": withdrawn})
    return rerouted, withdrawn


def _replace_notice(session: Session, *, report: Report, gone: str, reason: str, actor: str,
                    now: datetime, settings: Settings) -> None:
    """A notice the policy requires (police for a police category, health for a critical
    report) goes to the next agency that can take it when the notified one is deactivated."""
    primary, notified = current_agencies(session, report.id)
    if primary is None or report.status not in ("routed", "needs_manual_routing"):
        return
    kept = tuple(r for r in report.routing_notes or () if gone not in r)
    current = RoutingDecision(status="needs_manual_routing" if report.status ==
                              "needs_manual_routing" else "routed", primary=primary,
                              notified=notified, reasons=kept,
                              policy_version=report.routing_policy_version or "")
    decision = with_report_notices(session, report, current, excluded=frozenset({gone}))
    if decision.notified == notified:
        return
    result = apply_decision(session, report=report, decision=decision, now=now,
                            settings=settings, keep_previous_primary=False)
    record(session, report=report, action="report.renotified_after_deactivation", actor=actor,
           now=now, result=result, reason=reason)


def key_view(key: ApiKey, agency_code: str | None) -> dict[str, Any]:
    return {"id": key.id, "role": key.role, "agency": agency_code, "name": key.name,
            "prefix": key.key_prefix, "created_at": key.created_at,
            "revoked_at": key.revoked_at}
