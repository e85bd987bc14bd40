"""Every malformed request: a problem+json 4xx naming the field, and nothing written."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEntry, IdempotencyRecord, Report
from tests.conftest import auth, post_report

GOOD = {"channel": "call", "description": "Em bị đánh", "location": {"ward_code": "00070"}}

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("unknown field", {**GOOD, "colour": "red"}, "colour"),
    ("unknown nested field", {**GOOD, "location": {"street": "x"}}, "location.street"),
    ("missing channel", {"description": "x"}, "channel"),
    ("bad channel", {**GOOD, "channel": "fax"}, "channel"),
    ("wrong type", {**GOOD, "description": 12}, "description"),
    ("description too long", {**GOOD, "description": "a" * 10_001}, "description"),
    ("too many children", {**GOOD, "children": [{"age": 3}] * 21}, "children"),
    ("age out of range", {**GOOD, "children": [{"age": 18}]}, "children.0.age"),
    ("bad sex", {**GOOD, "children": [{"age": 3, "sex": "x"}]}, "children.0.sex"),
    ("unknown category", {**GOOD, "categories": ["aliens"]}, "categories.0"),
    ("unknown ward code", {**GOOD, "location": {"ward_code": "99999"}}, "location.ward_code"),
    ("malformed ward code", {**GOOD, "location": {"ward_code": "12"}}, "location.ward_code"),
    ("unknown province", {**GOOD, "location": {"province_code": "99"}},
     "location.province_code"),
    ("lat without lon", {**GOOD, "location": {"lat": 21.0}}, "location"),
    ("naive timestamp", {**GOOD, "received_at": "2026-01-01T10:00:00"}, "received_at"),
    ("future timestamp", {**GOOD, "received_at": "2999-01-01T10:00:00+07:00"}, "received_at"),
    ("override on counselling", {"channel": "call", "contact_type": "counselling",
                                 "urgency_override": {"level": "high", "reason": "why not"}},
     "urgency_override"),
    ("indicators on silent", {"channel": "call", "contact_type": "silent",
                              "indicators": {"immediate_danger": True}}, "indicators"),
    ("bad override level", {**GOOD, "urgency_override": {"level": "none", "reason": "xyz"}},
     "urgency_override.level"),
    ("external_ref too long", {**GOOD, "external_ref": "x" * 129}, "external_ref"),
    ("body not an object", [1, 2], ""),  # type: ignore[list-item]
    # PostgreSQL text cannot hold NUL: refused up front on every engine, the field named
    ("NUL in description", {**GOOD, "description": "bé bị đánh\x00"}, "description"),
    ("NUL in external_ref", {**GOOD, "external_ref": "A\x00"}, "external_ref"),
    ("NUL in follow_up_of", {**GOOD, "follow_up_of": "R\x00"}, "follow_up_of"),
    ("NUL in override reason", {**GOOD, "urgency_override": {"level": "high",
                                                              "reason": "why\x00"}},
     "urgency_override.reason"),
    ("NUL in reporter name", {**GOOD, "reporter": {"name": "Hoa\x00"}}, "reporter.name"),
    ("NUL in address", {"channel": "call", "location": {"address": "Hà Nội\x00"}},
     "location.address"),
    ("NUL in a child's name", {**GOOD, "children": [{"age": 3, "name": "\x00"}]},
     "children.0.name"),
]


def _count(session: Session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                 for m in (Report, AuditEntry, IdempotencyRecord))


@pytest.mark.parametrize(("name", "body", "field"), BAD, ids=[b[0] for b in BAD])
def test_rejected_with_the_field_named_and_nothing_written(
        client: TestClient, callcentre: dict[str, str], session: Session,
        name: str, body: Any, field: str) -> None:
    before = _count(session)
    r = post_report(client, callcentre, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert {"type", "title", "status", "detail", "errors"} <= problem.keys()
    if field:
        assert field in [e["field"] for e in problem["errors"]], problem
    assert _count(session) == before


def test_malformed_json_is_a_4xx(client: TestClient, callcentre: dict[str, str]) -> None:
    r = client.post("/v1/reports", content=b'{"channel": "call",',
                    headers={**callcentre, "Idempotency-Key": "k",
                             "Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    [error] = r.json()["errors"]
    assert error["field"] == "body" and "character 19" in error["message"]


def test_oversized_body_is_413(client: TestClient, callcentre: dict[str, str],
                               session: Session) -> None:
    r = client.post("/v1/reports", content=b'{"description": "' + b"a" * 300_000 + b'"}',
                    headers={**callcentre, "Idempotency-Key": "k",
                             "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["status"] == 413
    # streamed without a Content-Length: FastAPI's body reader must pass the 413 on
    streamed = client.post("/v1/reports", content=iter([b'{"description": "', b"a" * 300_000,
                                                         b'"}']),
                           headers={**callcentre, "Idempotency-Key": "k",
                                    "Content-Type": "application/json"})
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413, streamed.text
    assert streamed.headers["content-type"] == "application/problem+json"
    assert streamed.json()["type"].endswith("payload-too-large")


def test_nul_in_the_url_is_422(client: TestClient, callcentre: dict[str, str],
                               make_key: Any) -> None:
    agency = auth(make_key("agency", "UBND-00070"))
    for path, headers, field in (("/v1/reports/abc%00", callcentre, "path"),
                                 ("/v1/cases/abc%00", agency, "path"),
                                 ("/v1/cases?cursor=a%00b", agency, "query"),
                                 ("/v1/geo/resolve?address=H%C3%A0%00", callcentre, "query")):
        r = client.get(path, headers=headers)
        assert r.status_code == 422, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"] == [{"field": field,
                                       "message": "must not contain NUL characters"}]


def test_auth_errors(client: TestClient, make_key: Any) -> None:
    assert post_report(client, {}, GOOD).status_code == 401
    assert post_report(client, auth("hik_not-a-key"), GOOD).status_code == 401
    assert post_report(client, {"Authorization": "Basic abc"}, GOOD).status_code == 401
    agency = auth(make_key("agency", "UBND-00070"))
    assert post_report(client, agency, GOOD).status_code == 403
    assert post_report(client, auth(make_key("admin")), GOOD).status_code == 403


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/nowhere").headers["content-type"] == "application/problem+json"
