"""A flood from one key meets 429 with Retry-After; another key is not starved."""

import pytest
from fastapi.testclient import TestClient

from app import ratelimit
from app.config import get_settings
from app.ratelimit import Buckets, Limit, parse_limits
from tests.conftest import KeyMaker, auth

BODY = {"channel": "app", "description": "em bị đánh"}


def test_app_flood_is_limited_and_the_call_centre_still_served(
        client: TestClient, make_key: KeyMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit.BUCKETS, "_clock", lambda: 1000.0)  # the flood is instant
    app_key, callcentre = auth(make_key("app")), auth(make_key("callcentre"))
    statuses = []
    for _ in range(130):
        r = client.post("/v1/triage", json=BODY, headers=app_key)
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["retry-after"]) >= 1
            assert r.headers["content-type"] == "application/problem+json"
    burst = int(parse_limits(get_settings().rate_limits)["app"].burst)
    assert statuses == [200] * burst + [429] * (130 - burst)
    assert client.post("/v1/triage", json=BODY, headers=callcentre).status_code == 200


def test_bucket_refills_with_time() -> None:
    now = [0.0]
    buckets = Buckets(clock=lambda: now[0])
    limit = Limit(rate=2, burst=2)
    assert buckets.take("k", limit) == 0 and buckets.take("k", limit) == 0
    assert buckets.take("k", limit) == 0.5
    now[0] = 0.5
    assert buckets.take("k", limit) == 0
    assert buckets.take("other", limit) == 0  # keys do not share buckets


def test_limit_configuration_is_checked() -> None:
    assert parse_limits("app=1.5:3") == {"app": Limit(1.5, 3)}
    for bad in ("app", "app=x", "app=0:1", "app=1:0"):
        try:
            parse_limits(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
