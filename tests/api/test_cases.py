"""The agency side: own cases only, the state machine, decline, queue, feed, ETags."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import KeyMaker, auth, post_report

PHONE = "0912 345 678"
REPORT = {
    "channel": "call",
    "description": f"Bố đang đánh em, em bị chảy máu. Gọi lại cho cô Lan số {PHONE}",
    "children": [{"age": 9, "sex": "female", "name": "Bé Na"}],
    "location": {"ward_code": "00070"},
    "reporter": {"name": "Trần Thị Lan", "phone": PHONE, "relationship": "teacher"},
}


@pytest.fixture
def agencies(make_key: KeyMaker) -> dict[str, dict[str, str]]:
    return {code: auth(make_key("agency", code))
            for code in ("UBND-00070", "CA-00070", "SYT-01", "UBND-00004")}


def _report(client: TestClient, callcentre: dict[str, str], **over: Any) -> dict[str, Any]:
    r = post_report(client, callcentre, {**REPORT, **over})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_agency_sees_its_case_without_the_reporter(client: TestClient,
                                                   callcentre: dict[str, str],
                                                   agencies: dict[str, dict[str, str]]) -> None:
    rid = _report(client, callcentre)["id"]
    r = client.get(f"/v1/cases/{rid}", headers=agencies["UBND-00070"])
    assert r.status_code == 200
    case = r.json()
    assert case["role"] == "primary" and case["status"] == "new"
    assert case["urgency"]["level"] == "critical"
    assert PHONE not in r.text and "0912" not in r.text and "Trần Thị Lan" not in r.text
    assert "đã ẩn" in case["description"]
    assert case["children"][0]["age"] == 9
    police = client.get(f"/v1/cases/{rid}", headers=agencies["CA-00070"]).json()
    assert police["role"] == "notified"
    listing = client.get("/v1/cases", headers=agencies["UBND-00070"])
    assert [c["id"] for c in listing.json()["items"]] == [rid]
    assert PHONE not in listing.text


def test_other_agencies_get_404_everywhere(client: TestClient, callcentre: dict[str, str],
                                           agencies: dict[str, dict[str, str]]) -> None:
    rid = _report(client, callcentre)["id"]
    other = agencies["UBND-00004"]
    assert client.get(f"/v1/cases/{rid}", headers=other).status_code == 404
    assert client.post(f"/v1/cases/{rid}/acknowledge", headers=other).status_code == 404
    assert client.post(f"/v1/cases/{rid}/status", headers=other,
                       json={"status": "in_progress"}).status_code == 404
    assert client.post(f"/v1/cases/{rid}/decline", headers=other,
                       json={"reason": "not ours"}).status_code == 404
    assert client.get("/v1/cases", headers=other).json()["items"] == []
    assert client.get("/v1/cases", headers=callcentre).status_code == 403


def test_state_machine_and_report_closure(client: TestClient, callcentre: dict[str, str],
                                          agencies: dict[str, dict[str, str]]) -> None:
    rid = _report(client, callcentre)["id"]
    commune = agencies["UBND-00070"]
    bad = client.post(f"/v1/cases/{rid}/status", headers=commune, json={"status": "resolved"})
    assert bad.status_code == 409 and bad.json()["current_status"] == "new"
    ack = client.post(f"/v1/cases/{rid}/acknowledge", headers=commune)
    assert ack.status_code == 200 and ack.json()["acknowledged_at"]
    assert client.post(f"/v1/cases/{rid}/acknowledge", headers=commune).status_code == 409
    for status in ("in_progress", "resolved", "closed"):
        r = client.post(f"/v1/cases/{rid}/status", headers=commune,
                        json={"status": status, "note": "ok"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    assert client.get(f"/v1/reports/{rid}", headers=callcentre).json()["status"] == "closed"
    assert client.post(f"/v1/cases/{rid}/status", headers=commune,
                       json={"status": "in_progress"}).status_code == 409
    assert client.post(f"/v1/cases/{rid}/status", headers=commune,
                       json={"status": "withdrawn"}).status_code == 422
    nul = client.post(f"/v1/cases/{rid}/status", headers=commune,
                      json={"status": "closed", "note": "ok\x00"})
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "note"


def test_decline_reroutes_to_the_suggested_ward(client: TestClient, callcentre: dict[str, str],
                                                agencies: dict[str, dict[str, str]],
                                                make_key: KeyMaker) -> None:
    rid = _report(client, callcentre)["id"]
    police_feed = client.get("/v1/cases?feed=changes", headers=agencies["CA-00070"]).json()
    r = client.post(f"/v1/cases/{rid}/decline", headers=agencies["UBND-00070"],
                    json={"reason": "the family lives in Ba Đình", "suggested_ward_code": "00004"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "declined"
    report = client.get(f"/v1/reports/{rid}", headers=callcentre).json()
    assert report["assignment"]["agency"]["code"] == "UBND-00004"
    assert "CA-00004" in {a["code"] for a in report["notified"]}
    assert "CA-00070" not in {a["code"] for a in report["notified"]}
    # the report's cases are its current ones: one primary, the one assigned
    primaries = [c["agency"]["code"] for c in report["cases"] if c["role"] == "primary"]
    assert primaries == ["UBND-00004"]
    assert {c["status"] for c in report["cases"]} == {"new"}
    # the old police case is withdrawn: no access, and a tombstone in the feed
    assert client.get(f"/v1/cases/{rid}", headers=agencies["CA-00070"]).status_code == 404
    later = client.get("/v1/cases", params={"feed": "changes",
                                            "cursor": police_feed["next_cursor"]},
                       headers=agencies["CA-00070"]).json()
    assert later["items"] == [{"id": rid, "status": "withdrawn"}]
    assert client.get(f"/v1/cases/{rid}", headers=agencies["UBND-00004"]).json()["role"] == \
        "primary"
    again = client.post(f"/v1/cases/{rid}/decline", headers=agencies["UBND-00070"],
                        json={"reason": "still not ours"})
    assert again.status_code == 409
    admin = auth(make_key("admin"))
    actions = [e["action"] for e in client.get(f"/v1/reports/{rid}/audit",
                                               headers=admin).json()]
    assert actions == ["report.routed", "report.rerouted_after_decline"]


def test_bad_queries_are_422(client: TestClient, agencies: dict[str, dict[str, str]]) -> None:
    h = agencies["UBND-00070"]
    for params in ({"limit": 201}, {"limit": 0}, {"cursor": "garbage!"},
                   {"cursor": "WyJxdWV1ZSIsMV0"}, {"status": "lost"}, {"urgency": "urgent"},
                   {"feed": "everything"}):
        r = client.get("/v1/cases", params=params, headers=h)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"


def test_queue_is_ordered_and_paged(client: TestClient, callcentre: dict[str, str],
                                    agencies: dict[str, dict[str, str]]) -> None:
    low = _report(client, callcentre, description="Tôi muốn hỏi thủ tục làm giấy khai sinh",
                  children=[])["id"]
    crit = [_report(client, callcentre)["id"] for _ in range(3)]
    h = agencies["UBND-00070"]
    page1 = client.get("/v1/cases", params={"limit": 2}, headers=h).json()
    assert page1["has_more"] and page1["next_cursor"]
    page2 = client.get("/v1/cases", params={"limit": 2, "cursor": page1["next_cursor"]},
                       headers=h).json()
    ids = [c["id"] for c in page1["items"] + page2["items"]]
    assert ids == [*crit, low]  # critical first, then by acknowledgement deadline
    assert not page2["has_more"]
    only_low = client.get("/v1/cases", params={"urgency": ["low", "medium"]}, headers=h).json()
    assert [c["id"] for c in only_low["items"]] == [low]
    # no case is routed at level none: the filter is applied as asked, not dropped
    assert client.get("/v1/cases", params={"urgency": "none"}, headers=h).json()["items"] == []


def test_feed_has_more_only_when_more_follow(client: TestClient, callcentre: dict[str, str],
                                             agencies: dict[str, dict[str, str]]) -> None:
    h = agencies["UBND-00070"]
    made = [_report(client, callcentre)["id"] for _ in range(2)]
    full = client.get("/v1/cases", params={"feed": "changes", "limit": 2}, headers=h).json()
    assert [c["id"] for c in full["items"]] == made
    assert full["has_more"] is False  # a full page with nothing after it
    first = client.get("/v1/cases", params={"feed": "changes", "limit": 1}, headers=h).json()
    assert first["has_more"] is True


def test_feed_etag_and_304(client: TestClient, callcentre: dict[str, str],
                           agencies: dict[str, dict[str, str]],
                           sessions: sessionmaker[Session]) -> None:
    h = agencies["UBND-00070"]
    rid = _report(client, callcentre)["id"]
    first = client.get("/v1/cases", params={"feed": "changes"}, headers=h)
    assert [c["id"] for c in first.json()["items"]] == [rid]
    etag = first.headers["etag"]
    statements: list[str] = []
    bind = sessions.kw["bind"]

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(bind, "before_cursor_execute", count)
    try:
        cached = client.get("/v1/cases", params={"feed": "changes"},
                            headers={**h, "If-None-Match": etag})
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert cached.status_code == 304
    for sent in (etag.removeprefix("W/"), f'"other", {etag}'):  # compared weakly, in a list
        again = client.get("/v1/cases", params={"feed": "changes"},
                           headers={**h, "If-None-Match": sent})
        assert again.status_code == 304, sent
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2, statements  # the key, then the agency's version: nothing else
    client.post(f"/v1/cases/{rid}/acknowledge", headers=h)
    changed = client.get("/v1/cases", params={"feed": "changes"},
                         headers={**h, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    nxt = client.get("/v1/cases", params={"feed": "changes",
                                          "cursor": first.json()["next_cursor"]}, headers=h)
    assert [(c["id"], c["status"]) for c in nxt.json()["items"]] == [(rid, "acknowledged")]
