"""The audit chain: verify passes on an intact trail and names the first bad entry otherwise."""

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import audit
from tests.conftest import post_report

REPORT = {"channel": "call", "description": "Bố đang đánh em", "location": {"ward_code": "00070"}}


def _trail(client: TestClient, headers: dict[str, str], session: Session, n: int = 4) -> None:
    for _ in range(n):
        assert post_report(client, headers, REPORT).status_code == 201
    audit.seal_pending(session, wait=True)


def _unguard(session: Session) -> None:
    """On PostgreSQL the trail is append-only; the attacker here is a superuser who turns the
    guard off first (what `verify` must still catch)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        session.execute(text("ALTER TABLE audit_seals DISABLE TRIGGER USER"))


def test_intact_trail_verifies(client: TestClient, callcentre: dict[str, str],
                               session: Session) -> None:
    _trail(client, callcentre, session)
    result = audit.verify(session)
    assert result.ok and result.checked >= 4 and result.first_bad is None


TAMPERING: dict[str, list[str]] = {
    "edited": ["UPDATE audit_entries SET payload = replace(payload, 'UBND', 'XXXX') "
               "WHERE id = (SELECT entry_id FROM audit_seals ORDER BY seq LIMIT 1 OFFSET 1)"],
    "deleted": ["DELETE FROM audit_seals WHERE seq = 2",
                "DELETE FROM audit_entries WHERE id NOT IN (SELECT entry_id FROM audit_seals)"],
    "reordered": ["UPDATE audit_seals SET seq = seq + 1000000 WHERE seq IN (1, 2)",
                  "UPDATE audit_seals SET seq = 2 WHERE seq = 1000001",
                  "UPDATE audit_seals SET seq = 1 WHERE seq = 1000002"],
    "cut off": ["DELETE FROM audit_seals WHERE seq = (SELECT max(seq) FROM audit_seals)"],
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_is_detected(how: str, client: TestClient, callcentre: dict[str, str],
                               session: Session) -> None:
    _trail(client, callcentre, session)
    _unguard(session)
    for stmt in TAMPERING[how]:
        session.execute(text(stmt))
    if how == "cut off":
        session.execute(text("DELETE FROM audit_entries WHERE id NOT IN "
                             "(SELECT entry_id FROM audit_seals)"))
    result = audit.verify(session)
    assert not result.ok, how
    assert result.first_bad is not None
    if how != "cut off":
        assert result.first_bad["seq"] in (1, 2)


def test_postgresql_refuses_changes_to_the_trail(client: TestClient, callcentre: dict[str, str],
                                                 session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the database-level guard is PostgreSQL's")
    _trail(client, callcentre, session, n=1)
    for stmt in ("UPDATE audit_entries SET actor = 'x'", "DELETE FROM audit_entries",
                 "TRUNCATE audit_seals CASCADE", "DELETE FROM audit_seals"):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(stmt))
        nested.rollback()


def test_entry_payload_records_the_decision(client: TestClient, callcentre: dict[str, str],
                                            session: Session) -> None:
    body = post_report(client, callcentre, REPORT).json()
    [entry] = audit.entries_for_report(session, body["id"])
    payload: dict[str, Any] = json.loads(entry.payload)
    assert payload["primary"] == body["assignment"]["agency"]["code"]
    assert payload["notified"] == [a["code"] for a in body["notified"]]
    assert payload["policy_version"] and payload["urgency"]["ruleset_version"]
    assert entry.actor.startswith("callcentre key:")


def test_unsealed_entries_are_a_fault_only_once_past_the_grace(client: TestClient,
                                                                callcentre: dict[str, str],
                                                                session: Session) -> None:
    _trail(client, callcentre, session, n=1)
    fresh = audit.append(session, report_id=None, action="test.fresh", actor="test", payload={})
    assert audit.verify(session).ok  # the sealer has not been round yet: not a fault
    later = fresh.occurred_at + audit.service.SEAL_GRACE + timedelta(seconds=1)
    result = audit.verify(session, now=later)
    assert not result.ok and result.first_bad == {
        "seq": None, "entry_id": fresh.id, "problem": "entry not sealed into the chain"}
    audit.seal_pending(session, wait=True)
    assert audit.verify(session, now=later).ok
