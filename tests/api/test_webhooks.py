"""Push delivery to a real local HTTP receiver: signed, thin, retried, disabled on 410."""

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.errors import InvalidField
from app.models import OutboxEvent, Webhook, utcnow
from app.webhooks import signing
from app.webhooks.delivery import backoff, deliver_due
from app.webhooks.service import check_url
from tests.conftest import KeyMaker, auth, post_report

REPORT = {"channel": "call", "description": "Bố đang đánh em", "location": {"ward_code": "00070"}}


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"])).decode()
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def _outbox(session: Session) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at)))


def test_registered_agency_gets_signed_thin_events(client: TestClient,
                                                   callcentre: dict[str, str],
                                                   make_key: KeyMaker, receiver: Receiver,
                                                   sessions: sessionmaker[Session],
                                                   session: Session) -> None:
    commune = auth(make_key("agency", "UBND-00070"))
    reg = client.put("/v1/agencies/UBND-00070/webhook", json={"url": receiver.url},
                     headers=commune)
    assert reg.status_code == 200
    secret = reg.json()["secret"]
    assert secret.startswith("whsec_")
    stored = session.get(Webhook, session.scalar(select(Webhook.agency_id)))
    assert stored is not None and secret.encode() not in stored.secret  # sealed at rest
    rid = post_report(client, callcentre, REPORT).json()["id"]
    counts = deliver_due(sessions, now=utcnow(), settings=get_settings())
    assert counts == {"delivered": 1}
    [req] = receiver.requests
    h = {k.lower(): v for k, v in req["headers"].items()}
    assert signing.verify(secret, msg_id=h["webhook-id"], timestamp=int(h["webhook-timestamp"]),
                          body=req["body"], header=h["webhook-signature"])
    payload = json.loads(req["body"])
    assert payload["type"] == "case.assigned" and payload["id"] == h["webhook-id"]
    assert payload["data"] == {"case_id": rid, "agency_code": "UBND-00070"}
    assert "description" not in req["body"]  # thin: the agency fetches details with its key
    assert deliver_due(sessions, now=utcnow(), settings=get_settings()) == {}  # not twice


def test_failures_are_retried_with_backoff_and_410_disables(client: TestClient,
                                                            callcentre: dict[str, str],
                                                            make_key: KeyMaker,
                                                            receiver: Receiver,
                                                            sessions: sessionmaker[Session],
                                                            session: Session) -> None:
    admin = auth(make_key("admin"))
    client.put("/v1/agencies/UBND-00070/webhook", json={"url": receiver.url}, headers=admin)
    post_report(client, callcentre, REPORT)
    receiver.status = 500
    now = utcnow()
    assert deliver_due(sessions, now=now, settings=get_settings()) == {"retry": 1}
    [event] = _outbox(session)
    session.refresh(event)
    assert event.attempts == 1 and event.next_attempt_at > now
    assert deliver_due(sessions, now=now, settings=get_settings()) == {}  # not due yet
    receiver.status = 410
    later = event.next_attempt_at + timedelta(seconds=1)
    assert deliver_due(sessions, now=later, settings=get_settings()) == {"disabled": 1}
    hook = session.scalars(select(Webhook)).one()
    session.refresh(hook)
    assert hook.disabled_at is not None
    # a disabled endpoint gets nothing more queued
    post_report(client, callcentre, REPORT)
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 1


def test_secret_rotation_signs_with_both(client: TestClient, callcentre: dict[str, str],
                                         make_key: KeyMaker, receiver: Receiver,
                                         sessions: sessionmaker[Session]) -> None:
    commune = auth(make_key("agency", "UBND-00070"))
    old = client.put("/v1/agencies/UBND-00070/webhook", json={"url": receiver.url},
                     headers=commune).json()["secret"]
    new = client.put("/v1/agencies/UBND-00070/webhook", json={"url": receiver.url},
                     headers=commune).json()["secret"]
    post_report(client, callcentre, REPORT)
    deliver_due(sessions, now=utcnow(), settings=get_settings())
    h = {k.lower(): v for k, v in receiver.requests[0]["headers"].items()}
    args = {"msg_id": h["webhook-id"], "timestamp": int(h["webhook-timestamp"]),
            "body": receiver.requests[0]["body"], "header": h["webhook-signature"]}
    assert signing.verify(old, **args) and signing.verify(new, **args)


def test_rolled_back_change_sends_nothing(client: TestClient, callcentre: dict[str, str],
                                          make_key: KeyMaker, receiver: Receiver,
                                          session: Session) -> None:
    commune = auth(make_key("agency", "UBND-00070"))
    client.put("/v1/agencies/UBND-00070/webhook", json={"url": receiver.url}, headers=commune)
    # the same external_ref twice: the second request fails after routing, and rolls back
    post_report(client, callcentre, {**REPORT, "external_ref": "x1"})
    assert post_report(client, callcentre, {**REPORT, "external_ref": "x1"}).status_code == 409
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 1


def test_backoff_grows_with_jitter() -> None:
    delays = [backoff(n).total_seconds() for n in (1, 2, 3, 10)]
    assert 5 <= delays[0] < 15 and 10 <= delays[1] < 30 and 20 <= delays[2] < 60
    assert delays[3] <= 6 * 3600 * 1.5


def test_production_urls_must_be_public_https() -> None:
    prod = Settings(environment="production", reporter_keys="k:" + "A" * 43 + "=",
                    reporter_hash_key="not-the-default")
    for url in ("http://example.org/h", "https://127.0.0.1/h", "https://10.0.0.8/h",
                "https://localhost/h", "ftp://x/h", "https://user:pw@example.org/h", "nonsense"):
        with pytest.raises(InvalidField):
            check_url(url, prod)
    assert check_url("http://127.0.0.1:9/h", Settings()) == "http://127.0.0.1:9/h"
