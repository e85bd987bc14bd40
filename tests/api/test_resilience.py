"""Faults: a server killed mid-stream, the database cut away mid-load, 50 retries at once."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import audit
from app.db import make_engine
from app.models import AuditEntry, Case, Report
from tests.conftest import Database, key_in, live_server

ROOT = Path(__file__).resolve().parents[2]
REPORT = {"channel": "call", "description": "Bố đang đánh em, em bị chảy máu",
          "location": {"ward_code": "00070"}}


def _post(base: str, key: str, body: dict[str, Any], idem: str | None = None,
          timeout: float = 30) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=timeout) as c:
        return c.post("/v1/reports", json=body, headers={
            "Authorization": f"Bearer {key}", "Idempotency-Key": idem or uuid.uuid4().hex})


def _count(db: Database, model: Any) -> int:
    with Session(db.engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_fifty_concurrent_retries_make_one_report(fresh_database: Database) -> None:
    key = key_in(fresh_database, "callcentre")
    idem = uuid.uuid4().hex
    with live_server(fresh_database) as base, ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(lambda _: _post(base, key, REPORT, idem), range(50)))
        other = _post(base, key, {**REPORT, "description": "another body"}, idem)
    assert {r.status_code for r in responses} <= {201, 409}
    bodies = [r.json() for r in responses if r.status_code == 201]
    assert bodies and all(b == bodies[0] for b in bodies)
    assert all("Retry-After" in r.headers for r in responses if r.status_code == 409)
    assert other.status_code == 422
    assert _count(fresh_database, Report) == 1 and _count(fresh_database, AuditEntry) == 1


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_kill_9_mid_stream_loses_nothing_acknowledged(fresh_database: Database,
                                                      tmp_path: Path) -> None:
    key = key_in(fresh_database, "callcentre")
    server, base = _serve(fresh_database)
    try:
        _wait_up(base)
        assert _post(base, key, REPORT).status_code == 201
        acknowledged: list[str] = []
        stop = threading.Event()

        def stream() -> None:
            while not stop.is_set():
                try:
                    r = _post(base, key, REPORT, timeout=5)
                except httpx.HTTPError:
                    continue  # the server is gone (or slow): keep trying until told to stop
                if r.status_code == 201:
                    acknowledged.append(r.json()["id"])

        threads = [threading.Thread(target=stream) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acknowledged) > 5, "the stream never got going"
    with Session(fresh_database.engine) as s:
        stored = set(s.scalars(select(Report.id)))
        assert set(acknowledged) <= stored  # every 201 is durable
        orphans = s.scalars(select(Report.id).where(
            ~select(Case.id).where(Case.report_id == Report.id).exists()
            | ~select(AuditEntry.id).where(AuditEntry.report_id == Report.id).exists())).all()
        assert orphans == []  # no report without its routing and its audit entry
    with Session(fresh_database.engine) as s, s.begin():
        audit.seal_pending(s, wait=True)
    with Session(fresh_database.engine) as s:
        assert audit.verify(s).ok


def _serve(db: Database, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """`hotline-intake serve` on `db` in a process of its own, on a free port; its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": db.url, "SCHEDULER_IN_PROCESS": "false",
           "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), *args],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    return server, f"http://127.0.0.1:{port}"


def _wait_up(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not come up")


class TcpProxy:
    """A TCP proxy the test controls: cut() drops every connection and refuses new ones."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener = self._listen(0)
        self.port = self.listener.getsockname()[1]

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()
        return sock

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in its thread
        self.listener.close()
        with self.lock:
            for c in self.conns:
                with contextlib.suppress(OSError):
                    c.shutdown(socket.SHUT_RDWR)
                    c.close()
            self.conns.clear()

    def restore(self) -> None:
        self.listener = self._listen(self.port)


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_database_outage_gives_503_then_recovers(fresh_database: Database) -> None:
    url = make_url(fresh_database.url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    db = Database("postgresql", via_proxy, make_engine(via_proxy, pool_size=5))
    key = key_in(fresh_database, "callcentre")
    agency = {"Authorization": f"Bearer {key_in(fresh_database, 'agency', 'UBND-00070')}"}
    try:
        with live_server(db) as base:
            assert _post(base, key, REPORT).status_code == 201
            # an agency's poll reads on the server's read pool, past SQLAlchemy's
            assert httpx.get(f"{base}/v1/cases", headers=agency).status_code == 200
            proxy.cut()
            started = time.monotonic()
            during = [_post(base, key, REPORT, timeout=30) for _ in range(3)]
            polls = [httpx.get(f"{base}/v1/cases", headers=agency, timeout=30) for _ in range(2)]
            ready = httpx.get(f"{base}/readyz", timeout=30)
            elapsed = time.monotonic() - started
            assert [r.status_code for r in during] == [503, 503, 503], [r.text for r in during]
            assert [r.status_code for r in polls] == [503, 503], [r.text for r in polls]
            assert all(r.headers.get("retry-after") for r in during + polls)
            assert during[0].headers["content-type"] == "application/problem+json"
            assert polls[0].headers["content-type"] == "application/problem+json"
            assert ready.status_code == 503
            assert elapsed < 90  # bounded: no hang
            proxy.restore()
            deadline = time.monotonic() + 30
            while (status := _post(base, key, REPORT).status_code) != 201:
                assert time.monotonic() < deadline, status
                time.sleep(0.5)
            while (status := httpx.get(f"{base}/v1/cases", headers=agency).status_code) != 200:
                assert time.monotonic() < deadline, status
                time.sleep(0.5)
            assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    finally:
        proxy.cut()
        db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_serve_with_several_workers(fresh_database: Database, tmp_path: Path) -> None:
    """`serve --workers 2` (a uvicorn process pool) serves; no report is lost or doubled."""
    key = key_in(fresh_database, "callcentre")
    server, base = _serve(fresh_database, "--workers", "2")
    try:
        _wait_up(base)
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: _post(base, key, REPORT).status_code, range(40)))
    finally:
        server.terminate()
        server.wait(30)
    assert codes == [201] * 40
    with Session(fresh_database.engine) as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 40


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([sys.executable, "-m", "app", "serve", "--workers", "2"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "PostgreSQL" in done.stderr
