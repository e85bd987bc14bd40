"""Logs are JSON lines with a request id, and carry no personal data and no query strings."""

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from app.observability import configure_logging
from tests.conftest import post_report

NAME, PHONE = "Nguyễn Thị Hoa", "0912345678"
DESCRIPTION = "Bố em đang đánh em bằng gậy, em bị chảy máu đầu"
ADDRESS = "12 ngõ 34 Hàng Bạc, Hoàn Kiếm, Hà Nội"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The service's logging as configured, its handler's stream read by the test."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("INFO")
    out = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    try:
        yield out
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_request_log_lines_are_json_with_request_id_and_nothing_personal(
        json_logs: io.StringIO, client: TestClient, callcentre: dict[str, str]) -> None:
    r = post_report(client, {**callcentre, "X-Request-Id": "req-123"}, {
        "channel": "call", "description": DESCRIPTION, "children": [{"age": 9, "name": NAME}],
        "location": {"address": ADDRESS}, "reporter": {"name": NAME, "phone": PHONE}})
    assert r.status_code == 201
    assert r.headers["x-request-id"] == "req-123"
    client.get("/v1/geo/resolve", params={"address": ADDRESS}, headers=callcentre)
    bad = post_report(client, callcentre, {"channel": "call", "description": DESCRIPTION,
                                           "reporter": {"phone": PHONE + "x"}})
    assert bad.status_code == 422
    err = json_logs.getvalue()
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(lines) == len([line for line in err.splitlines() if line]), err
    requests = [line for line in lines if line["msg"] == "request"]
    assert len(requests) == 3
    assert requests[0]["request_id"] == "req-123" and requests[0]["status"] == 201
    assert all(line["request_id"] for line in requests)
    assert {line["route"] for line in requests} == {"/v1/reports", "/v1/geo/resolve"}
    text = json.dumps(lines, ensure_ascii=False)
    for secret in (NAME, PHONE, DESCRIPTION, "Hàng Bạc", "Hang Bac", callcentre[
            "Authorization"].split()[1]):
        assert secret not in text


def test_outgoing_http_is_not_logged_with_its_url(json_logs: io.StringIO) -> None:
    """Webhook URLs may carry a token in their query string; httpx logs each URL at INFO."""
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(answer)) as c:
        c.post("https://agency.example/hook?token=s3cret")
    logging.getLogger("app.test").info("after the call")
    err = json_logs.getvalue()
    assert "after the call" in err  # the handler is live
    assert "s3cret" not in err
