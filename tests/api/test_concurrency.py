"""Concurrent clients against a live server on a database of the test's own."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, idempotency
from app.errors import Conflict
from app.models import ApiKey, AuditEntry, IdempotencyRecord, Report
from tests.conftest import Database, key_in, live_server

REPORT = {"channel": "call", "description": "Bố đang đánh em, em bị chảy máu",
          "children": [{"age": 9}], "location": {"ward_code": "00070"}}


def _post(base: str, key: str, idem: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=30) as c:
        return c.post("/v1/reports", json=body,
                      headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem})


def _count(db: Database, model: Any) -> int:
    with Session(db.engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql", "sqlite"], indirect=True)
def test_one_idempotency_key_posted_concurrently_makes_one_report(
        fresh_database: Database) -> None:
    key = key_in(fresh_database, "callcentre")
    idem = uuid.uuid4().hex
    with live_server(fresh_database) as base, ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda _: _post(base, key, idem, REPORT), range(20)))
        # once the first has finished, every retry replays it
        replay = _post(base, key, idem, REPORT)
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r.json() for r in responses if r.status_code == 201]
    assert created and all(c == created[0] for c in created)
    assert replay.status_code == 201 and replay.json() == created[0]
    assert _count(fresh_database, Report) == 1
    assert _count(fresh_database, AuditEntry) == 1


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql", "sqlite"], indirect=True)
def test_one_external_ref_posted_concurrently_makes_one_report_and_409s(
        fresh_database: Database) -> None:
    """Each post has its own Idempotency-Key: the check before the insert races the unique
    constraint, and the loser gets the contract's 409, never a 500 or a 503."""
    key = key_in(fresh_database, "callcentre")
    body = {**REPORT, "external_ref": "CC-2026-0001"}
    with live_server(fresh_database) as base, ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(lambda _: _post(base, key, uuid.uuid4().hex, body), range(12)))
        after = _post(base, key, uuid.uuid4().hex, body)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and set(statuses) == {201, 409}, statuses
    for r in responses:
        if r.status_code == 409:
            assert r.headers["content-type"] == "application/problem+json"
            assert "external_ref" in r.json()["detail"]
    first = next(r.json() for r in responses if r.status_code == 201)
    assert after.status_code == 409 and after.json()["report_reference"] == first["reference"]
    assert _count(fresh_database, Report) == 1
    assert _count(fresh_database, AuditEntry) == 1


@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_a_retry_while_the_first_is_in_flight_answers_409_within_the_lock_wait(
        fresh_database: Database) -> None:
    """The claim sets its own lock wait: the retry does not wait for the first to finish."""
    key_in(fresh_database, "callcentre")
    with Session(fresh_database.engine) as first, Session(fresh_database.engine) as retry:
        key_id = first.scalars(select(ApiKey.id)).one()

        def claim(session: Session) -> idempotency.Replay | None:
            return idempotency.claim(session, api_key_id=key_id, key="k1", fp="f" * 64,
                                     ttl=timedelta(hours=1))

        assert claim(first) is None  # claimed, not committed
        start = time.monotonic()
        with pytest.raises(Conflict):
            claim(retry)
        assert time.monotonic() - start < 5  # the 200 ms lock wait, not the first's whole run
        retry.rollback()
        first.commit()
        assert retry.execute(select(func.count()).select_from(
            IdempotencyRecord)).scalar_one() == 1


@pytest.mark.slow
def test_audit_chain_stays_linear_under_50_concurrent_writers(fresh_database: Database) -> None:
    key = key_in(fresh_database, "callcentre")
    with live_server(fresh_database) as base, ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(lambda _: _post(base, key, uuid.uuid4().hex, REPORT),
                                  range(100)))
    assert [r.status_code for r in responses] == [201] * 100
    with Session(fresh_database.engine) as s, s.begin():
        audit.seal_pending(s, wait=True)
    with Session(fresh_database.engine) as s:
        result = audit.verify(s)
    assert result.ok, result.first_bad
    assert result.checked == 100
