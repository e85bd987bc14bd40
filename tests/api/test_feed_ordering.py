"""Commits out of order, and concurrent updates of one case, on PostgreSQL for real."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.cases import service as cases
from app.models import utcnow
from app.security import authenticate, revoke_key
from tests.conftest import Database, auth, build_app, key_in, live_server

REPORT = {"channel": "call", "description": "Bố đang đánh em", "location": {"ward_code": "00070"}}


def _reports(client: TestClient, headers: dict[str, str], n: int) -> list[str]:
    ids = []
    for i in range(n):
        r = client.post("/v1/reports", json=REPORT,
                        headers={**headers, "Idempotency-Key": f"k{i}"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_feed_never_skips_a_transaction_that_commits_late(fresh_database: Database) -> None:
    factory = sessionmaker(bind=fresh_database.engine, expire_on_commit=False)
    client = TestClient(build_app(factory))
    callcentre = auth(key_in(fresh_database, "callcentre"))
    agency_key = key_in(fresh_database, "agency", "UBND-00070")
    first, second = _reports(client, callcentre, 2)
    h = auth(agency_key)
    start = client.get("/v1/cases", params={"feed": "changes"}, headers=h).json()
    assert {c["id"] for c in start["items"]} == {first, second}
    cursor = start["next_cursor"]

    a = factory()
    principal = authenticate(a, f"Bearer {agency_key}")
    cases.acknowledge(session=a, principal=principal, report_id=first, now=utcnow())
    a.flush()  # A has written (it holds a transaction id) but has not committed
    with factory() as b, b.begin():
        cases.acknowledge(session=b, principal=authenticate(b, f"Bearer {agency_key}"),
                          report_id=second, now=utcnow())
    polled = client.get("/v1/cases", params={"feed": "changes", "cursor": cursor},
                        headers=h).json()
    # B is held back behind A, so the cursor cannot move past A's change
    assert polled["items"] == []
    a.commit()
    a.close()
    after = client.get("/v1/cases", params={"feed": "changes",
                                            "cursor": polled["next_cursor"]}, headers=h).json()
    assert [(c["id"], c["status"]) for c in after["items"]] == [
        (first, "acknowledged"), (second, "acknowledged")]
    # the poll's one-statement version, on committing connections (the server's read pool,
    # on its event loop): unchanged -> 304, changed -> 200
    with TestClient(build_app(factory)) as served:  # with its lifespan: the read pool opens
        assert served.app.state.read_pool is not None  # type: ignore[attr-defined]
        etag = served.get("/v1/cases", headers=h).headers["etag"]
        not_modified = served.get("/v1/cases", headers={**h, "If-None-Match": etag})
        assert not_modified.status_code == 304 and not_modified.headers["etag"] == etag
        # a 304 is decided before the query is parsed, but only a query answered before matches
        bad = served.get("/v1/cases", params={"limit": 999}, headers={**h, "If-None-Match": etag})
        assert bad.status_code == 422
        with factory() as c, c.begin():
            cases.set_status(session=c, principal=authenticate(c, f"Bearer {agency_key}"),
                             report_id=first, status="in_progress", note=None, now=utcnow())
        changed = served.get("/v1/cases", headers={**h, "If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        # and the same look-up still refuses other roles, unknown keys and, at once, revoked keys
        assert served.get("/v1/cases", headers=callcentre).status_code == 403
        assert served.get("/v1/cases", headers=auth("hik_unknown")).status_code == 401
        with factory() as c, c.begin():
            assert revoke_key(session=c, key_id=authenticate(c, f"Bearer {agency_key}").key_id)
        gone = served.get("/v1/cases", headers={**h, "If-None-Match": changed.headers["etag"]})
        assert gone.status_code == 401
        # every other endpoint's key look-up runs on the read pool too
        assert len(_reports(served, callcentre, 1)) == 1
        assert served.post("/v1/reports", json=REPORT, headers={
            **auth("hik_unknown"), "Idempotency-Key": "k-unknown"}).status_code == 401
        assert served.get("/v1/cases/whatever", headers=h).status_code == 401


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_concurrent_updates_of_one_case_one_wins(fresh_database: Database) -> None:
    factory = sessionmaker(bind=fresh_database.engine, expire_on_commit=False)
    callcentre = auth(key_in(fresh_database, "callcentre"))
    agency = auth(key_in(fresh_database, "agency", "UBND-00070"))
    ids = _reports(TestClient(build_app(factory)), callcentre, 5)

    def ack(base: str, rid: str) -> int:
        with httpx.Client(base_url=base, timeout=30) as c:
            return c.post(f"/v1/cases/{rid}/acknowledge", headers=agency).status_code

    with live_server(fresh_database) as base, ThreadPoolExecutor(10) as pool:
        results: list[Any] = list(pool.map(lambda rid: ack(base, rid), ids * 2))
    for i in range(5):
        assert sorted([results[i], results[i + 5]]) == [200, 409]
    with Session(fresh_database.engine) as s:
        from app.models import AuditEntry
        acks = s.query(AuditEntry).filter_by(action="case.acknowledged").count()
    assert acks == 5
