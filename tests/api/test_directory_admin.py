"""Directory administration through the API and the CLI's CSV import."""

import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.admin.directory_csv import import_csv
from app.models import Agency
from tests.conftest import KeyMaker, auth, post_report

REPORT = {"channel": "call", "description": "Bố đang đánh em", "location": {"ward_code": "00070"}}


def test_create_update_and_coverage_route_reports(client: TestClient, make_key: KeyMaker,
                                                  callcentre: dict[str, str]) -> None:
    admin = auth(make_key("admin"))
    r = client.post("/v1/agencies", headers=admin, json={
        "code": "UBND-MERGED", "name": "UBND liên phường", "kind": "commune_committee",
        "level": "commune", "unit_code": "00004", "coverage": ["00070"]})
    assert r.status_code == 201, r.text
    assert r.json()["province_code"] == "01" and r.json()["coverage"] == ["00070"]
    assert client.post("/v1/agencies", headers=admin, json={
        "code": "X", "name": "x", "kind": "commune_committee", "level": "commune",
        "unit_code": "99999"}).json()["errors"][0]["field"] == "unit_code"
    assert client.post("/v1/agencies", headers=admin, json={
        "code": "UBND-MERGED", "name": "x", "kind": "commune_committee", "level": "commune",
        "unit_code": "00004"}).status_code == 409
    patched = client.patch("/v1/agencies/UBND-MERGED", headers=admin,
                           json={"name": "UBND mới", "coverage": []})
    assert patched.json()["name"] == "UBND mới" and patched.json()["coverage"] == []
    listed = client.get("/v1/agencies", params={"kind": "national_desk"}, headers=admin).json()
    assert [a["code"] for a in listed["items"]] == ["NAT-111"]


def test_deactivation_reroutes_open_cases(client: TestClient, make_key: KeyMaker,
                                          callcentre: dict[str, str]) -> None:
    admin = auth(make_key("admin"))
    rid = post_report(client, callcentre, REPORT).json()["id"]
    r = client.post("/v1/agencies/UBND-00070/deactivate", headers=admin,
                    json={"reason": "merged into another commune"})
    assert r.status_code == 200, r.text
    assert r.json()["rerouted_reports"] == 1 and r.json()["agency"]["active"] is False
    report = client.get(f"/v1/reports/{rid}", headers=callcentre).json()
    assert report["assignment"]["agency"]["code"] == "SYT-01"
    assert client.post("/v1/agencies/UBND-00070/deactivate", headers=admin,
                       json={"reason": "again"}).status_code == 409
    desk = client.post("/v1/agencies/NAT-111/deactivate", headers=admin,
                       json={"reason": "closing"})
    assert desk.status_code == 409 and "national desk" in desk.json()["detail"]
    # new reports skip the inactive agency
    again = post_report(client, callcentre, REPORT).json()
    assert again["assignment"]["agency"]["code"] == "SYT-01"


def test_deactivating_a_notified_police_passes_the_notice_to_the_province_police(
        client: TestClient, make_key: KeyMaker, callcentre: dict[str, str]) -> None:
    admin = auth(make_key("admin"))
    abuse = post_report(client, callcentre, {
        "channel": "call", "location": {"ward_code": "00070"}, "children": [{"age": 12}],
        "description": "Tháng trước cháu bị thầy giáo sàm sỡ, thầy đã chuyển trường"}).json()
    assert "CA-00070" in {a["code"] for a in abuse["notified"]}
    due = abuse["urgency"]["ack_due_at"]
    r = client.post("/v1/agencies/CA-00070/deactivate", headers=admin,
                    json={"reason": "merged"})
    assert r.status_code == 200, r.text
    after = client.get(f"/v1/reports/{abuse['id']}", headers=callcentre).json()
    notified = {a["code"] for a in after["notified"]}
    assert "CA-00070" not in notified and "CAT-01" in notified
    assert after["assignment"] == abuse["assignment"]
    assert after["urgency"]["ack_due_at"] == due  # the primary did not change: nor its clock
    assert not any("CA-00070" in reason for reason in after["routing"]["reasons"])
    trail = [e["action"] for e in client.get(f"/v1/reports/{abuse['id']}/audit",
                                            headers=admin).json()]
    assert trail == ["report.routed", "case.withdrawn", "report.renotified_after_deactivation"]


def test_manual_assignment_to_an_unreachable_agency_brings_in_the_level_above(
        client: TestClient, make_key: KeyMaker, callcentre: dict[str, str]) -> None:
    admin = auth(make_key("admin"))
    body = post_report(client, callcentre, {
        "channel": "call", "description": "Bố em đang đánh em, em bị chảy máu đầu",
        "children": [{"age": 11}], "location": {"address": "không rõ"}}).json()
    assert body["assignment"]["agency"]["code"] == "NAT-111"
    r = client.post(f"/v1/reports/{body['id']}/assign", headers=admin,
                    json={"agency_code": "UBND-00070", "reason": "caller called back"})
    assert r.status_code == 200, r.text
    notified = {a["code"] for a in r.json()["notified"]}
    assert r.json()["assignment"]["agency"]["code"] == "UBND-00070"
    # nobody holds a key or a webhook for the commune yet: the province learns at once
    assert "SYT-01" in notified
    assert any("unreachable" in reason for reason in r.json()["routing"]["reasons"])


def test_keys_create_list_revoke(client: TestClient, make_key: KeyMaker) -> None:
    admin = auth(make_key("admin"))
    made = client.post("/v1/keys", headers=admin,
                       json={"role": "agency", "agency_code": "CA-00070", "name": "police"})
    assert made.status_code == 201
    key = made.json()["key"]
    assert client.get("/v1/cases", headers=auth(key)).status_code == 200
    listed = client.get("/v1/keys", headers=admin).json()
    assert all("key" not in k for k in listed)
    assert client.post(f"/v1/keys/{made.json()['id']}/revoke", headers=admin).json()[
        "revoked_at"]
    assert client.get("/v1/cases", headers=auth(key)).status_code == 401  # at once
    assert client.post("/v1/keys", headers=admin, json={"role": "agency"}).status_code == 422


def test_csv_import_is_all_or_nothing(session: Session) -> None:
    good = ("code,name,kind,level,unit_code,coverage\n"
            "CTXH-01,Trung tâm CTXH Hà Nội,social_work_centre,province,01,\n"
            "UBND-00070,UBND Hoàn Kiếm (mới),commune_committee,commune,00070,00004\n")
    result = import_csv(session, io.StringIO(good), actor="test")
    assert result == {"created": 1, "updated": 1, "errors": []}
    assert session.query(Agency).filter_by(code="CTXH-01").one().province_code == "01"
    bad = ("code,name,kind,level,unit_code\n"
           "NEW-1,ok,commune_committee,commune,00070\n"
           "NEW-2,bad,commune_committee,commune,99999\n")
    result = import_csv(session, io.StringIO(bad), actor="test")
    assert result["created"] == 0 and "line 3" in result["errors"][0]
    assert session.query(Agency).filter_by(code="NEW-1").count() == 0
