"""POST/GET /v1/reports through HTTP, on both engines."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit import sealer
from app.models import AuditEntry, Case, IdempotencyRecord, Report
from tests.conftest import KeyMaker, auth, post_report

CRITICAL = {
    "channel": "call",
    "description": "Bố em đang đánh em bằng gậy, em bị chảy máu đầu, cứu em với",
    "children": [{"age": 11, "sex": "male"}],
    "location": {"address": "Phường Hoàn Kiếm, Thành phố Hà Nội"},
    "reporter": {"name": "Nguyễn Văn A", "phone": "0912 345 678", "relationship": "neighbour"},
}


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_critical_report_is_routed_to_the_commune_with_police_and_province(
        client: TestClient, callcentre: dict[str, str], session: Session) -> None:
    r = post_report(client, callcentre, CRITICAL)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "routed"
    assert body["urgency"]["level"] == "critical"
    assert body["urgency"]["ack_due_at"] and body["urgency"]["action_due_at"]
    assert body["primary_category"] == "physical_violence"
    assert body["location"]["ward_code"] == "00070"
    assert body["location"]["province_code"] == "01"
    assert body["assignment"]["agency"]["code"] == "UBND-00070"
    assert body["assignment"]["agency"]["kind"] == "commune_committee"
    notified = {a["code"] for a in body["notified"]}
    assert {"CA-00070", "SYT-01"} <= notified
    assert len(body["cases"]) == 1 + len(body["notified"])
    assert all(c["status"] == "new" for c in body["cases"])
    assert body["reference"].startswith("111-")
    # the reporter's identity is not in the response, and is sealed at rest
    assert "0912" not in r.text and "Nguyễn Văn A" not in r.text
    report = session.get(Report, body["id"])
    assert report is not None and report.reporter_contact is not None
    assert b"0912" not in report.reporter_contact
    entries = session.scalars(select(AuditEntry).where(AuditEntry.report_id == body["id"])).all()
    assert [e.action for e in entries] == ["report.routed"]
    assert "UBND-00070" in entries[0].payload and "Nguyễn" not in entries[0].payload


def test_get_report_returns_the_same_shape(client: TestClient, callcentre: dict[str, str],
                                           make_key: KeyMaker) -> None:
    created = post_report(client, callcentre, CRITICAL).json()
    got = client.get(f"/v1/reports/{created['id']}", headers=callcentre)
    assert got.status_code == 200
    assert got.json() == created
    by_ref = client.get(f"/v1/reports/{created['reference']}", headers=callcentre)
    assert by_ref.json()["id"] == created["id"]
    assert client.get(f"/v1/reports/{created['id']}",
                      headers=auth(make_key("admin"))).status_code == 200
    assert client.get(f"/v1/reports/{created['id']}",
                      headers=auth(make_key("app"))).status_code == 403
    assert client.get("/v1/reports/nope", headers=callcentre).status_code == 404


def test_unresolved_place_goes_to_the_national_desk(client: TestClient,
                                                    callcentre: dict[str, str]) -> None:
    body = post_report(client, callcentre, {**CRITICAL, "location": {"address": "không biết"}}
                       ).json()
    assert body["status"] == "needs_manual_routing"
    assert body["assignment"]["agency"]["code"] == "NAT-111"
    assert body["location"]["resolution"] == "unresolved"


def test_province_only_goes_to_province_health_and_province_police(
        client: TestClient, callcentre: dict[str, str]) -> None:
    body = post_report(client, callcentre, {
        "channel": "app", "description": "con gai toi 13 tuoi bi hiep dam toi qua",
        "location": {"province_code": "79"}}).json()
    assert body["location"]["resolution"] == "province_only"
    assert body["assignment"]["agency"]["code"] == "SYT-79"
    assert "CAT-79" in {a["code"] for a in body["notified"]}


def test_unreachable_commune_brings_in_the_province_and_says_so(
        client: TestClient, callcentre: dict[str, str], make_key: KeyMaker) -> None:
    low = {"channel": "call", "contact_type": "report",
           "description": "Vợ chồng tôi ly hôn, tôi muốn hỏi về quyền nuôi con",
           "location": {"ward_code": "00070"}}
    body = post_report(client, callcentre, low).json()
    assert body["assignment"]["agency"]["code"] == "UBND-00070"
    assert "SYT-01" in {a["code"] for a in body["notified"]}
    assert any("unreachable" in r for r in body["routing"]["reasons"])
    make_key("agency", "UBND-00070")  # now the commune can learn of its cases
    body = post_report(client, callcentre, low).json()
    assert body["notified"] == []


def test_non_routed_contact_is_closed_at_the_hotline(client: TestClient,
                                                     callcentre: dict[str, str],
                                                     session: Session) -> None:
    body = post_report(client, callcentre, {"channel": "call", "contact_type": "wrong_number",
                                            "description": "Gọi nhầm số"}).json()
    assert body["status"] == "closed_at_hotline"
    assert body["assignment"] is None and body["cases"] == []
    assert body["urgency"]["level"] == "none"
    assert count(session, Case) == 0


def test_override_keeps_both_levels_and_is_audited(client: TestClient,
                                                   callcentre: dict[str, str],
                                                   session: Session) -> None:
    body = post_report(client, callcentre, {
        "channel": "call", "description": "Em bị bạn bè trêu chọc",
        "location": {"ward_code": "00070"},
        "urgency_override": {"level": "critical", "reason": "caller heard screaming"}}).json()
    assert body["urgency"]["level"] == "critical"
    assert body["urgency"]["computed_level"] != "critical"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.report_id == body["id"])).one()
    assert "caller heard screaming" in entry.payload
    assert '"computed_level":"' + body["urgency"]["computed_level"] in entry.payload


def test_app_may_not_override(client: TestClient, make_key: KeyMaker, session: Session) -> None:
    app_key = auth(make_key("app"))
    r = post_report(client, app_key, {**CRITICAL, "urgency_override": {
        "level": "low", "reason": "because"}})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert post_report(client, app_key, CRITICAL).status_code == 201


def test_follow_up_goes_to_the_agencies_of_the_first_report(client: TestClient,
                                                            callcentre: dict[str, str]) -> None:
    first = post_report(client, callcentre, CRITICAL).json()
    follow = post_report(client, callcentre, {
        "channel": "call", "contact_type": "follow_up", "follow_up_of": first["reference"],
        "description": "Gọi lại: bé đã được đưa đi viện"}).json()
    assert follow["follow_up_of"] == first["id"]
    assert follow["assignment"] == first["assignment"]
    assert {a["code"] for a in follow["notified"]} == {a["code"] for a in first["notified"]}
    missing = post_report(client, callcentre, {"channel": "call", "contact_type": "follow_up",
                                               "follow_up_of": "111-000000-XXXXXXX"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "follow_up_of"


def test_follow_up_that_reveals_sexual_abuse_also_goes_to_the_police(
        client: TestClient, callcentre: dict[str, str], make_key: KeyMaker) -> None:
    """Its report's agencies get it, and so do the ones its own level and categories call
    for: sexual abuse of a child goes to the police at once (DOMAIN)."""
    make_key("agency", "UBND-00070")  # reachable: nobody above it is notified for that
    first = post_report(client, callcentre, {
        "channel": "call", "description": "Con tôi bị các bạn trong lớp bắt nạt",
        "location": {"ward_code": "00070"}}).json()
    assert first["notified"] == [] and first["urgency"]["level"] == "medium"
    follow = post_report(client, callcentre, {
        "channel": "call", "contact_type": "follow_up", "follow_up_of": first["id"],
        "description": "Gọi lại: tối qua bé bị chú hàng xóm hiếp dâm", "children": [{"age": 9}]
    }).json()
    assert follow["urgency"]["level"] == "critical"
    assert follow["assignment"] == first["assignment"]
    assert {"CA-00070", "SYT-01"} <= {a["code"] for a in follow["notified"]}
    assert any("CA-00070" in r for r in follow["routing"]["reasons"])


def test_the_reporter_s_name_in_the_description_is_masked_for_agencies(
        client: TestClient, callcentre: dict[str, str], make_key: KeyMaker) -> None:
    commune = auth(make_key("agency", "UBND-00070"))
    body = post_report(client, callcentre, {
        "channel": "call", "location": {"ward_code": "00070"},
        "reporter": {"name": "Trần Thị Hoa", "phone": "0912345678"},
        "description": "Tôi là Trần Thị Hoa ở cạnh nhà, gọi tôi số 0912\u00a0345\u00a0678 "
                       "hoặc (024) 3826 1235. Bé bị bố đánh; tran thi hoa sẽ gọi lại"}).json()
    hotline = client.get(f"/v1/reports/{body['id']}", headers=callcentre).json()
    assert hotline["reporter"]["has_contact"]
    seen = client.get(f"/v1/cases/{body['id']}", headers=commune).json()["description"]
    assert "Hoa" not in seen and "hoa" not in seen and "0912" not in seen and "3826" not in seen
    assert seen.count("[người báo tin]") == 2 and "Bé bị bố đánh" in seen
    listed = client.get("/v1/cases", headers=commune).json()["items"]
    assert [c["description"] for c in listed] == [seen]


def test_idempotent_replay_conflict_and_mismatch(client: TestClient,
                                                 callcentre: dict[str, str],
                                                 session: Session) -> None:
    key = uuid.uuid4().hex
    first = post_report(client, callcentre, CRITICAL, key=key)
    # same body, keys in another order: the same answer
    reordered = dict(reversed(list(CRITICAL.items())))
    again = post_report(client, callcentre, reordered, key=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = post_report(client, callcentre, {**CRITICAL, "description": "khác"}, key=key)
    assert other.status_code == 422
    assert count(session, Report) == 1
    missing = client.post("/v1/reports", json=CRITICAL, headers=callcentre)
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "Idempotency-Key"
    assert count(session, Report) == 1


def test_idempotency_keys_are_scoped_to_the_api_key(client: TestClient, make_key: KeyMaker,
                                                    session: Session) -> None:
    key = uuid.uuid4().hex
    a = post_report(client, auth(make_key("callcentre")), CRITICAL, key=key)
    b = post_report(client, auth(make_key("callcentre")), CRITICAL, key=key)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_external_ref_reused_by_the_same_key_holder_is_409(client: TestClient,
                                                           callcentre: dict[str, str],
                                                           session: Session) -> None:
    first = post_report(client, callcentre, {**CRITICAL, "external_ref": "call-42"}).json()
    second = post_report(client, callcentre, {**CRITICAL, "external_ref": "call-42"})
    assert second.status_code == 409
    assert first["reference"] in second.json()["detail"]
    assert count(session, Report) == 1
    # the failed request released its idempotency claim: nothing half-written
    assert count(session, IdempotencyRecord) == 1


def test_triage_endpoint_stores_nothing(client: TestClient, callcentre: dict[str, str],
                                        session: Session) -> None:
    r = client.post("/v1/triage", json=CRITICAL, headers=callcentre)
    assert r.status_code == 200
    assert r.json()["urgency"]["level"] == "critical"
    assert r.json()["primary_category"] == "physical_violence"
    assert count(session, Report) == 0 and count(session, AuditEntry) == 0


def test_geo_resolve_endpoint(client: TestClient, callcentre: dict[str, str]) -> None:
    r = client.get("/v1/geo/resolve", params={"address": "Phường Hoàn Kiếm, Hà Nội"},
                   headers=callcentre)
    assert r.status_code == 200
    assert r.json()["ward_code"] == "00070"
    bad = client.get("/v1/geo/resolve", params={"ward_code": "99999"}, headers=callcentre)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ward_code"
    assert client.get("/v1/geo/resolve", params={"address": "x"}).status_code == 401


def test_report_audit_is_admin_only_and_chained(client: TestClient, callcentre: dict[str, str],
                                                make_key: KeyMaker,
                                                sessions: sessionmaker[Session]) -> None:
    created = post_report(client, callcentre, CRITICAL).json()
    sealer.seal_once(sessions, None)  # what the scheduler's sealer does after commit
    admin = auth(make_key("admin"))
    r = client.get(f"/v1/reports/{created['id']}/audit", headers=admin)
    assert r.status_code == 200
    [entry] = r.json()
    assert entry["action"] == "report.routed"
    assert entry["payload"]["primary"] == "UBND-00070"
    assert entry["payload"]["urgency"]["ruleset_version"]
    assert entry["seq"] is not None and entry["chain_hash"]
    assert client.get(f"/v1/reports/{created['id']}/audit",
                      headers=callcentre).status_code == 403
