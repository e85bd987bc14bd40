"""/metrics, as Prometheus scrapes it: each counter the service promises moves when its event
happens."""

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.models import utcnow
from app.scheduler.runner import run_once
from app.webhooks.delivery import deliver_due
from tests.api.test_webhooks import Receiver
from tests.conftest import KeyMaker, auth, post_report

CRITICAL = {"channel": "call", "description": "Bố em đang đánh em, em bị chảy máu đầu",
            "children": [{"age": 11}], "location": {"ward_code": "00070"}}
MEDIUM = {"channel": "call", "description": "Con tôi bị các bạn trong lớp bắt nạt",
          "location": {"ward_code": "00070"}}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _scrape(client: TestClient) -> Samples:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def _moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_requests_latency_and_reports_by_urgency_and_resolution(
        client: TestClient, callcentre: dict[str, str]) -> None:
    before = _scrape(client)
    assert post_report(client, callcentre, CRITICAL).status_code == 201
    assert post_report(client, callcentre, {"channel": "call"}).status_code == 201
    assert post_report(client, callcentre, {"channel": "fax"}).status_code == 422
    after = _scrape(client)
    route = {"method": "POST", "route": "/v1/reports"}
    assert _moved(before, after, "http_requests_total", **route, status="201") == 2
    assert _moved(before, after, "http_requests_total", **route, status="422") == 1
    assert _moved(before, after, "http_request_duration_seconds_count", **route) == 3
    assert _moved(before, after, "http_request_duration_seconds_bucket", **route,
                  le="+Inf") == 3
    assert _moved(before, after, "reports_created_total", urgency="critical",
                  resolution="exact") == 1
    assert _moved(before, after, "reports_created_total", urgency="medium",
                  resolution="unresolved") == 1


def test_escalations_overdue_flags_and_webhook_deliveries(
        client: TestClient, callcentre: dict[str, str], sessions: sessionmaker[Session],
        make_key: KeyMaker) -> None:
    receiver = Receiver()
    try:
        commune = auth(make_key("agency", "UBND-00070"))
        client.put("/v1/agencies/UBND-00070/webhook", json={"url": receiver.url},
                   headers=commune)
        before = _scrape(client)
        ignored = post_report(client, callcentre, MEDIUM).json()
        acked = post_report(client, callcentre, MEDIUM).json()
        client.post(f"/v1/cases/{acked['id']}/acknowledge", headers=commune)
        assert deliver_due(sessions, now=utcnow(), settings=get_settings()) == {"delivered": 3}
        delivered = _scrape(client)  # the scheduler's runs below deliver more
        ack_due = datetime.fromisoformat(ignored["urgency"]["ack_due_at"])
        assert run_once(sessions, get_settings(), ack_due + timedelta(seconds=1))[
            "escalated"] == 1
        escalated = _scrape(client)
        action_due = datetime.fromisoformat(acked["urgency"]["action_due_at"])
        assert run_once(sessions, get_settings(), action_due + timedelta(minutes=1))[
            "overdue"] >= 1
        after = _scrape(client)
    finally:
        receiver.server.shutdown()
    # two case.assigned, one case.updated (the acknowledgement)
    assert _moved(before, delivered, "webhook_deliveries_total", outcome="delivered") == 3
    assert _moved(delivered, escalated, "escalations_total") == 1
    assert _moved(escalated, after, "cases_flagged_overdue_total") >= 1
