"""The clock: escalation up the ladder, overdue flags, exactly once across schedulers."""

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.models import AuditEntry, Escalation, Report, utcnow
from app.reports.schemas import ReportIn
from app.reports.service import create_report
from app.scheduler import escalation
from app.scheduler.runner import run_once
from app.security import authenticate
from tests.conftest import Database, KeyMaker, auth, key_in, post_report

MEDIUM = {"channel": "call", "description": "Con tôi bị các bạn trong lớp bắt nạt",
          "location": {"ward_code": "00070"}}


def _report(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = post_report(client, headers, MEDIUM)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _later(body: dict[str, Any], seconds: int = 1) -> datetime:
    return datetime.fromisoformat(body["urgency"]["ack_due_at"]) + timedelta(seconds=seconds)


def test_unacknowledged_case_climbs_the_ladder(client: TestClient, callcentre: dict[str, str],
                                               sessions: sessionmaker[Session],
                                               make_key: KeyMaker) -> None:
    commune = auth(make_key("agency", "UBND-00070"))
    body = _report(client, callcentre)
    assert body["assignment"]["agency"]["code"] == "UBND-00070"
    assert run_once(sessions, get_settings(), _later(body, -5))["escalated"] == 0
    t1 = _later(body)
    assert run_once(sessions, get_settings(), t1)["escalated"] == 1
    after = client.get(f"/v1/reports/{body['id']}", headers=callcentre).json()
    assert after["assignment"]["agency"]["code"] == "SYT-01"
    assert "UBND-00070" in {a["code"] for a in after["notified"]}  # stays notified, can act
    assert client.get(f"/v1/cases/{body['id']}", headers=commune).json()["role"] == "notified"
    # the deadline restarted for the new primary
    new_due = datetime.fromisoformat(after["urgency"]["ack_due_at"])
    assert new_due == t1 + get_settings().ack_deadline("medium")
    assert run_once(sessions, get_settings(), t1 + timedelta(seconds=1))["escalated"] == 0
    assert run_once(sessions, get_settings(), new_due + timedelta(seconds=1))["escalated"] == 1
    top = client.get(f"/v1/reports/{body['id']}", headers=callcentre).json()
    assert top["assignment"]["agency"]["code"] == "NAT-111"
    assert top["status"] == "needs_manual_routing"
    far = new_due + timedelta(days=30)
    assert run_once(sessions, get_settings(), far)["escalated"] == 0  # nobody above
    admin = auth(make_key("admin"))
    trail = client.get(f"/v1/reports/{body['id']}/audit", headers=admin).json()
    steps = [e["payload"] for e in trail if e["action"] == "report.escalated"]
    assert len(steps) == 2
    # each step records who stays notified: the previous primaries included (and, as SYT-01
    # has no key or webhook, the national desk above it)
    assert [(p["from"], p["primary"], sorted(p["notified"])) for p in steps] == [
        ("UBND-00070", "SYT-01", ["NAT-111", "UBND-00070"]),
        ("SYT-01", "NAT-111", ["SYT-01", "UBND-00070"])]


def test_escalation_after_a_decline_to_another_province_goes_up_there(
        client: TestClient, callcentre: dict[str, str], sessions: sessionmaker[Session],
        make_key: KeyMaker) -> None:
    commune = auth(make_key("agency", "UBND-00070"))
    make_key("agency", "UBND-25747")
    body = _report(client, callcentre)
    declined = client.post(f"/v1/cases/{body['id']}/decline", headers=commune, json={
        "reason": "the family lives in Thủ Dầu Một", "suggested_ward_code": "25747"})
    assert declined.status_code == 200, declined.text
    moved = client.get(f"/v1/reports/{body['id']}", headers=callcentre).json()
    assert moved["assignment"]["agency"]["code"] == "UBND-25747"
    assert (moved["location"]["province_code"], moved["location"]["ward_code"]) == ("79", "25747")
    assert run_once(sessions, get_settings(), _later(moved))["escalated"] == 1
    up = client.get(f"/v1/reports/{body['id']}", headers=callcentre).json()
    assert up["assignment"]["agency"]["code"] == "SYT-79"


def test_acknowledged_cases_do_not_escalate(client: TestClient, callcentre: dict[str, str],
                                            sessions: sessionmaker[Session],
                                            make_key: KeyMaker) -> None:
    commune = auth(make_key("agency", "UBND-00070"))
    body = _report(client, callcentre)
    assert client.post(f"/v1/cases/{body['id']}/acknowledge", headers=commune).status_code == 200
    assert run_once(sessions, get_settings(), _later(body, 3600))["escalated"] == 0


def test_overdue_is_flagged_and_shows_in_the_feed(client: TestClient,
                                                  callcentre: dict[str, str],
                                                  sessions: sessionmaker[Session],
                                                  make_key: KeyMaker) -> None:
    commune = auth(make_key("agency", "UBND-00070"))
    body = _report(client, callcentre)
    client.post(f"/v1/cases/{body['id']}/acknowledge", headers=commune)
    feed = client.get("/v1/cases", params={"feed": "changes"}, headers=commune).json()
    due = datetime.fromisoformat(body["urgency"]["action_due_at"])
    assert run_once(sessions, get_settings(), due + timedelta(minutes=1))["overdue"] >= 1
    later = client.get("/v1/cases", params={"feed": "changes", "cursor": feed["next_cursor"]},
                       headers=commune).json()
    assert [(c["id"], c["overdue"]) for c in later["items"]] == [(body["id"], True)]


def _bulk_reports(db: Database, n: int, *, received: datetime) -> None:
    key = key_in(db, "callcentre")
    report_in = ReportIn.model_validate(MEDIUM)
    with Session(db.engine) as s, s.begin():
        principal = authenticate(s, f"Bearer {key}")
        for _ in range(n):
            create_report(session=s, report_in=report_in, principal=principal,
                          settings=get_settings(), now=received)


def _count(db: Database, stmt: Any) -> int:
    with Session(db.engine) as s:
        return int(s.scalar(stmt) or 0)


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_three_schedulers_escalate_1000_cases_exactly_once(fresh_database: Database) -> None:
    past = utcnow() - timedelta(days=2)
    _bulk_reports(fresh_database, 1000, received=past)
    factory = sessionmaker(bind=fresh_database.engine, expire_on_commit=False)
    now = utcnow()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            run_once(factory, get_settings(), now)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    assert _count(fresh_database, select(func.count()).select_from(Escalation)) == 1000
    assert _count(fresh_database, select(func.count()).select_from(Report)
                  .where(Report.escalation_step != 1)) == 0
    assert _count(fresh_database, select(func.count()).select_from(AuditEntry)
                  .where(AuditEntry.action == "report.escalated")) == 1000


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql", "sqlite"], indirect=True)
def test_a_scheduler_killed_mid_batch_loses_nothing(fresh_database: Database,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _bulk_reports(fresh_database, 30, received=utcnow() - timedelta(days=2))
    factory = sessionmaker(bind=fresh_database.engine, expire_on_commit=False)
    real = escalation.apply_decision
    calls = {"n": 0}

    def dies_on_the_tenth(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 10:
            raise SystemExit("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(escalation, "apply_decision", dies_on_the_tenth)
    with pytest.raises(SystemExit):
        run_once(factory, get_settings(), utcnow())
    assert _count(fresh_database, select(func.count()).select_from(Escalation)) == 0
    monkeypatch.setattr(escalation, "apply_decision", real)
    assert run_once(factory, get_settings(), utcnow())["escalated"] == 30
    assert _count(fresh_database, select(func.count()).select_from(Escalation)) == 30
