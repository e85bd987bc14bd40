"""Agency polling at scale on PostgreSQL: the poll of an agency holding a tenth of all reports,
at 10,000 reports and at 1,000,000 (seeded in bulk with COPY), and a 304 against a full page.

Prints median times per request for the work queue, the changes feed (from a cursor in the
middle) and a 304 as the client sees them, the mean time inside the app for each (from the
app's own latency histogram at /metrics), and a no-op round trip (/healthz) from the same
client, then the ratios. Targets: 1M within 1.2x of 10k; a 304 at most 0.2x of a full page.

  .venv/bin/python -m bench.poll [--small 10000] [--large 1000000] [--repeat 200]
"""

import argparse
import io
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.assign import urgency_rank
from app.db import make_engine
from app.migrate import upgrade_head
from app.models import Agency
from app.routing.directory import seed_default_directory
from app.security import create_key
from bench._common import cpu_seconds, free_port, scratch_database, server_process, settle

LEVELS = ["low", "medium", "high", "critical"]
REPORT_COLS = ("id, reference, channel, contact_type, submitted_by_key_id, received_at, "
               "created_at, updated_at, status, description, children, location_input, location, "
               "province_code, ward_code, urgency_level, computed_level, urgency_reasons, "
               "ruleset_version, primary_category, categories, indicators, routing_notes, "
               "reporter_anonymous, escalation_step")
CASE_COLS = ("report_id, agency_id, role, status, urgency_rank, ack_due_at, action_due_at, "
             "overdue, change_txid, change_seq, created_at, updated_at")


def seed(url: str, n: int) -> tuple[str, str]:
    """n reports; a tenth go to SYT-79, the rest spread over commune committees."""
    upgrade_head(url)
    engine = make_engine(url, statement_timeout_ms=3_600_000)  # COPY of a million rows
    with Session(engine) as s, s.begin():
        seed_default_directory(s)
        target = s.scalars(select(Agency).where(Agency.code == "SYT-79")).one()
        _, agency_key = create_key(session=s, role="agency", agency=target, name="bench")
        caller, _ = create_key(session=s, role="callcentre", agency=None, name="bench")
        communes = list(s.scalars(select(Agency.id).where(Agency.kind == "commune_committee")))
        caller_id, target_id = caller.id, target.id
    reports, cases = io.StringIO(), io.StringIO()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    loc = json.dumps({"resolution": "province_only", "province_code": "79", "ward_code": None,
                      "province_name": "TP HCM", "ward_name": None, "ambiguous": False,
                      "candidates": []})
    for i in range(n):
        rid = uuid.uuid4().hex
        at = t0 + timedelta(seconds=i)
        level = LEVELS[i % 4]
        agency = target_id if i % 10 == 0 else communes[i % len(communes)]
        reports.write("\t".join([
            rid, f"111-B-{i:09d}", "call", "report", caller_id, at.isoformat(), at.isoformat(),
            at.isoformat(), "routed", f"bench report {i}", "[]", "{}", loc, "79", "\\N", level,
            level, "[]", "bench", "other", '["other"]', "{}", "[]", "f", "0"]) + "\n")
        cases.write("\t".join([
            rid, str(agency), "primary", "new", str(urgency_rank(level)),
            (at + timedelta(hours=1)).isoformat(), (at + timedelta(days=7)).isoformat(), "f",
            "1", str(i + 1), at.isoformat(), at.isoformat()]) + "\n")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, cols, buf in (("reports", REPORT_COLS, reports), ("cases", CASE_COLS, cases)):
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                copy.write(buf.getvalue())
        cur.execute(f"SELECT setval('case_change_seq', {n + 1})")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    settle(url, vacuum=True)  # a settled database, as production's would be
    return url, agency_key


def _served(client: httpx.Client) -> tuple[float, float]:
    """(sum of seconds, count) the server's own latency histogram holds for GET /v1/cases."""
    total = count = 0.0
    for line in client.get("/metrics").text.splitlines():
        if 'method="GET"' in line and 'route="/v1/cases"' in line:
            if line.startswith("http_request_duration_seconds_sum"):
                total = float(line.rsplit(" ", 1)[1])
            elif line.startswith("http_request_duration_seconds_count"):
                count = float(line.rsplit(" ", 1)[1])
    return total, count


def timed(client: httpx.Client, pid: int, repeat: int, headers: dict[str, str],
          params: dict[str, Any], expect: int, path: str = "/v1/cases"
          ) -> tuple[float, float, float]:
    """(median ms seen by the client, mean ms inside the app by its latency histogram, mean CPU
    ms the server process spent per request)."""
    samples = []
    before = _served(client)
    cpu = cpu_seconds(pid)
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(path, params=params, headers=headers)
        samples.append(time.perf_counter() - start)
        assert r.status_code == expect, (r.status_code, r.text[:200])
    cpu = cpu_seconds(pid) - cpu
    after = _served(client)
    n = after[1] - before[1]
    return (statistics.median(samples) * 1000, (after[0] - before[0]) / n * 1000 if n else 0.0,
            cpu / repeat * 1000)


def measure(url: str, key: str, repeat: int) -> dict[str, float]:
    """Against a real `serve` process over HTTP keep-alive, as a dashboard polls."""
    port = free_port()
    env = {"DATABASE_URL": url, "SCHEDULER_IN_PROCESS": "false", "LOG_LEVEL": "WARNING",
           "RATE_LIMITS": "agency=1000000:1000000"}
    with server_process(["-m", "app", "serve", "--port", str(port)], env, port) as (base, proc), \
            httpx.Client(base_url=base, timeout=60) as client:
        h = {"Authorization": f"Bearer {key}"}
        first = client.get("/v1/cases", params={"feed": "changes", "limit": 200}, headers=h)
        middle = first.json()["next_cursor"]
        etag = client.get("/v1/cases", headers=h).headers["etag"]
        out: dict[str, float] = {}
        out["noop_ms"], _, _ = timed(client, proc.pid, repeat, {}, {}, 200, path="/healthz")
        for name, headers, params, expect in (
                ("queue", h, {}, 200), ("feed", h, {"feed": "changes", "cursor": middle}, 200),
                ("not_modified", {**h, "If-None-Match": etag}, {}, 304)):
            (out[f"{name}_ms"], out[f"{name}_app_ms"],
             out[f"{name}_cpu_ms"]) = timed(client, proc.pid, repeat, headers, params, expect)
        return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--small", type=int, default=10_000)
    p.add_argument("--large", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=200)
    args = p.parse_args()
    results = {}
    for n in (args.small, args.large):
        with scratch_database(f"hi_bench_poll_{n}") as url:
            started = time.perf_counter()
            url, key = seed(url, n)
            print(f"seeded {n} reports in {time.perf_counter() - started:.1f}s", flush=True)
            results[n] = measure(url, key, args.repeat)
    small, large = results[args.small], results[args.large]
    print(json.dumps(results, indent=2))
    for name in ("queue_ms", "feed_ms", "not_modified_ms"):
        print(f"{name}: {small[name]:.2f} ms at {args.small}, {large[name]:.2f} ms at "
              f"{args.large}: ratio {large[name] / small[name]:.2f} (target <= 1.2)")
    for n, r in results.items():
        print(f"304 vs full page at {n}: server CPU {r['not_modified_cpu_ms']:.2f} / "
              f"{r['queue_cpu_ms']:.2f} ms = {r['not_modified_cpu_ms'] / r['queue_cpu_ms']:.2f}; "
              f"inside the app {r['not_modified_app_ms']:.2f} / {r['queue_app_ms']:.2f} ms = "
              f"{r['not_modified_app_ms'] / r['queue_app_ms']:.2f}; seen by the client "
              f"{r['not_modified_ms']:.2f} / {r['queue_ms']:.2f} ms = "
              f"{r['not_modified_ms'] / r['queue_ms']:.2f} (target <= 0.2); a no-op round trip "
              f"(/healthz) costs the client {r['noop_ms']:.2f} ms")

if __name__ == "__main__":
    main()
