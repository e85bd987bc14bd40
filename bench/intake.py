"""Sustained POST /v1/reports on PostgreSQL: hotline-intake against the floor of its own stack.

Both servers run the same number of uvicorn processes (`--workers`, default 1) on the same
PostgreSQL; the floor (bench/minimal_app.py) parses the body and commits one row per request.
Measured in the same run, after a 2 s warm-up:
  1. open loop at RATE requests per second for SECONDS -> p50, p99 (latency from the scheduled
     send time, so queueing counts; every client connects before the clock starts);
  2. closed loop: CLIENTS concurrent clients for SECONDS -> throughput, p50, p99.
Prints both sides, the server processes' CPU time per request in the closed loop, and the
ratios. Target: intake >= 0.5x the floor's throughput, p99 < 100 ms
at 200 req/s. The client shares the machine's 2 cores with the server: read ratios, not absolutes.

  .venv/bin/python -m bench.intake [--clients 16] [--seconds 15] [--rate 200] [--workers 1]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from bench._common import (
    cpu_seconds,
    free_port,
    percentile,
    scratch_database,
    server_process,
    settle,
)

BODIES = [
    {"channel": "call", "description": "Bố em đang đánh em, em bị chảy máu đầu",
     "children": [{"age": 11, "sex": "male"}],
     "location": {"address": "P. Hàng Bạc, Q. Hoàn Kiếm, Hà Nội"}},
    {"channel": "app", "description": "con toi bi cac ban trong lop bat nat suot may tuan nay",
     "location": {"address": "xa phu ninh, huyen phu ninh, tinh phu tho"}},
    {"channel": "call", "description": "Cháu mồ côi cả cha lẫn mẹ, muốn xin trợ cấp",
     "location": {"province_code": "79"}},
]


def _post(client: httpx.Client, key: str, i: int) -> float:
    start = time.perf_counter()
    r = client.post("/v1/reports", json=BODIES[i % len(BODIES)], headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex})
    if r.status_code != 201:
        raise RuntimeError(f"{r.status_code}: {r.text[:200]}")
    return time.perf_counter() - start


def closed_loop(base: str, key: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(n: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            i = n
            while time.perf_counter() < stop:
                lat = _post(c, key, i)
                with lock:
                    latencies.append(lat)
                i += clients

    _threads(clients, run)
    return {"rps": len(latencies) / seconds, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000}


def open_loop(base: str, key: str, rate: float, seconds: float, workers: int = 32
              ) -> dict[str, float]:
    total = int(rate * seconds)
    latencies: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(workers + 1)
    start: list[float] = []

    def run(n: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            c.get("/healthz")  # connect before the clock starts: no burst of TCP handshakes
            ready.wait()
            t0 = start[0]
            for i in range(n, total, workers):
                due = t0 + i / rate
                if (wait := due - time.perf_counter()) > 0:
                    time.sleep(wait)
                _post(c, key, i)
                with lock:
                    latencies.append(time.perf_counter() - due)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    start.append(time.perf_counter() + 0.2)
    ready.wait()
    for t in threads:
        t.join()
    return {"rate": rate, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000}


def _threads(n: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def measure(base: str, pids: list[int], key: str, args: argparse.Namespace
            ) -> dict[str, dict[str, float]]:
    closed_loop(base, key, args.clients, 2)  # warm up
    # the open loop first: after a saturating run PostgreSQL's checkpoint and autovacuum would
    # land in its tail (the floor's p99 at 200/s went from ~10 ms to ~500 ms that way)
    open_ = open_loop(base, key, args.rate, args.seconds)
    cpu = sum(cpu_seconds(p) for p in pids)
    closed = closed_loop(base, key, args.clients, args.seconds)
    cpu = sum(cpu_seconds(p) for p in pids) - cpu
    closed["server_cpu_ms"] = cpu / (closed["rps"] * args.seconds) * 1000
    return {"closed": closed, "open": open_}


def _server_pids(proc: "subprocess.Popen[bytes]") -> list[int]:
    """The server process and, with --workers, its worker processes."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return [proc.pid, *(int(c) for c in children)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--workers", type=int, default=1,
                   help="server processes, the same for both sides")
    args = p.parse_args()
    with scratch_database("hi_bench_intake") as url:
        port = free_port()
        env = {"DATABASE_URL": url, "SCHEDULER_IN_PROCESS": "false", "LOG_LEVEL": "WARNING",
               "RATE_LIMITS": "callcentre=100000:100000", "DB_POOL_SIZE": "20"}
        made = subprocess.run([sys.executable, "-m", "app", "keys", "create", "--role",
                               "callcentre"], env={**os.environ, **env},
                              capture_output=True, text=True, check=True)
        key = json.loads(made.stdout)["key"]
        workers = ["--workers", str(args.workers)]
        with server_process(["-m", "app", "serve", "--port", str(port), *workers], env,
                            port) as (base, proc):
            intake = measure(base, _server_pids(proc), key, args)
        settle(url)  # the intake side's writes stay out of the floor's measurement
        port = free_port()
        with server_process(["-m", "uvicorn", "bench.minimal_app:app", "--port", str(port),
                             "--log-level", "warning", *workers], {"BENCH_DB_URL": url},
                            port) as (base, proc):
            floor = measure(base, _server_pids(proc), key, args)
    print(json.dumps({"workers": args.workers, "intake": intake, "floor": floor}, indent=2))
    ratio = intake["closed"]["rps"] / floor["closed"]["rps"]
    print(f"throughput: intake {intake['closed']['rps']:.0f}/s, floor "
          f"{floor['closed']['rps']:.0f}/s, ratio {ratio:.2f} (target >= 0.5)")
    cost = floor["closed"]["server_cpu_ms"] / intake["closed"]["server_cpu_ms"]
    print(f"server CPU per request: intake {intake['closed']['server_cpu_ms']:.2f} ms, floor "
          f"{floor['closed']['server_cpu_ms']:.2f} ms: the floor costs {cost:.2f} of intake")
    print(f"p99 at {args.rate:.0f}/s: intake {intake['open']['p99_ms']:.1f} ms, floor "
          f"{floor['open']['p99_ms']:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
