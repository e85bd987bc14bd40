"""Access control as data: every route of the OpenAPI document x every kind of caller."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from tests.conftest import KeyMaker, auth, post_report

CALLERS = ("callcentre", "app", "agency_a", "agency_b", "admin", "none", "bad")
OPEN = dict.fromkeys(CALLERS, 200)


def only(status: int, **allowed: int) -> dict[str, int]:
    """Everyone authenticated gets `status` (403 or 404) unless named; no key / bad key 401."""
    out = {c: status for c in CALLERS}
    out.update(none=401, bad=401, **allowed)
    return out


# (method, path template) -> (expected status by caller, JSON body)
MATRIX: dict[tuple[str, str], tuple[dict[str, int], Any]] = {
    ("get", "/healthz"): (OPEN, None),
    ("get", "/readyz"): (OPEN, None),
    ("get", "/metrics"): (OPEN, None),
    ("post", "/v1/reports"): (only(403, callcentre=201, app=201),
                              {"channel": "call", "description": "Em bị đánh"}),
    ("get", "/v1/reports/{report_id}"): (only(403, callcentre=200, admin=200), None),
    ("get", "/v1/reports/{report_id}/audit"): (only(403, admin=200), None),
    ("post", "/v1/reports/{report_id}/assign"): (
        only(403, admin=200), {"agency_code": "SYT-01", "reason": "manual test"}),
    ("post", "/v1/triage"): (only(403, callcentre=200, app=200),
                             {"channel": "app", "description": "Em bị đánh"}),
    ("get", "/v1/triage/ruleset"): (only(403, admin=200), None),
    ("get", "/v1/geo/resolve"): (only(403, callcentre=200, app=200, agency_a=200,
                                      agency_b=200, admin=200), None),
    ("get", "/v1/cases"): (only(403, agency_a=200, agency_b=200), None),
    ("get", "/v1/cases/{case_id}"): (only(403, agency_a=200, agency_b=404), None),
    ("post", "/v1/cases/{case_id}/acknowledge"): (only(403, agency_a=200, agency_b=404), None),
    ("post", "/v1/cases/{case_id}/status"): (only(403, agency_a=409, agency_b=404),
                                             {"status": "closed"}),
    ("post", "/v1/cases/{case_id}/decline"): (only(403, agency_a=200, agency_b=404),
                                              {"reason": "not our commune"}),
    ("get", "/v1/agencies"): (only(403, admin=200), None),
    ("post", "/v1/agencies"): (only(403, admin=201), {
        "code": "NGO-1", "name": "Trung tâm công tác xã hội", "kind": "social_work_centre",
        "level": "province", "unit_code": "01"}),
    ("get", "/v1/agencies/{code}"): (only(403, admin=200), None),
    ("patch", "/v1/agencies/{code}"): (only(403, admin=200), {"name": "UBND mới"}),
    ("post", "/v1/agencies/{code}/deactivate"): (only(403, admin=200), {"reason": "merged"}),
    ("get", "/v1/keys"): (only(403, admin=200), None),
    ("post", "/v1/keys"): (only(403, admin=201), {"role": "app", "name": "second app"}),
    ("post", "/v1/keys/{key_id}/revoke"): (only(403, admin=200), None),
    ("put", "/v1/agencies/{code}/webhook"): (only(403, admin=200, agency_a=200, agency_b=404),
                                             {"url": "http://127.0.0.1:9/hook"}),
    ("delete", "/v1/agencies/{code}/webhook"): (only(403, admin=204, agency_a=204,
                                                     agency_b=404), None),
}


@pytest.fixture
def world(client: TestClient, make_key: KeyMaker) -> dict[str, Any]:
    keys = {"callcentre": make_key("callcentre"), "app": make_key("app"),
            "agency_a": make_key("agency", "UBND-00070"),
            "agency_b": make_key("agency", "UBND-00004"), "admin": make_key("admin")}
    headers = {name: auth(k) for name, k in keys.items()}
    headers["none"] = {}
    headers["bad"] = auth("hik_wrong")
    report = post_report(client, headers["callcentre"], {
        "channel": "call", "description": "Bố đang đánh em", "location": {"ward_code": "00070"}})
    assert report.status_code == 201
    spare = client.post("/v1/keys", json={"role": "app"}, headers=headers["admin"]).json()
    hook = client.put("/v1/agencies/UBND-00070/webhook", json={"url": "http://127.0.0.1:9/h"},
                      headers=headers["agency_a"])
    assert hook.status_code == 200, hook.text
    return {"headers": headers, "params": {
        "report_id": report.json()["id"], "case_id": report.json()["id"],
        "code": "UBND-00070", "key_id": spare["id"]}}


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    routes = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert routes == set(MATRIX), routes ^ set(MATRIX)


def test_role_by_endpoint_matrix(client: TestClient, connection: Connection,
                                 world: dict[str, Any]) -> None:
    failures = []
    for (method, template), (expected, body) in MATRIX.items():
        path = template.format(**world["params"])
        for caller, want in expected.items():
            headers = dict(world["headers"][caller])
            if (method, template) == ("post", "/v1/reports"):
                headers["Idempotency-Key"] = f"matrix-{caller}"
            params = {"address": "Hà Nội"} if template == "/v1/geo/resolve" else None
            nested = connection.begin_nested()  # every cell starts from the same state
            try:
                r = client.request(method.upper(), path, json=body, headers=headers,
                                   params=params)
            finally:
                nested.rollback()
            if r.status_code != want:
                failures.append(f"{method.upper()} {template} as {caller}: "
                                f"{r.status_code} (want {want}) {r.text[:120]}")
            if r.status_code >= 400:
                assert r.headers["content-type"] == "application/problem+json"
    assert not failures, "\n".join(failures)
