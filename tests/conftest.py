"""Test databases: every database test runs on SQLite and on PostgreSQL.

Each engine gets one fresh database per run, built by `alembic upgrade head` and seeded with
the default directory; each test runs inside a transaction (savepoints for the app's commits)
that is rolled back. Tests of concurrency get a fresh database of their own (`fresh_database`).
PostgreSQL: POSTGRES_ADMIN_URL (default postgresql://127.0.0.1:5432/postgres). When it cannot
be reached the PostgreSQL half is skipped, unless REQUIRE_POSTGRES=1 (CI), where it fails.
"""

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.config import normalise_database_url
from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade_head
from app.models import Agency
from app.routing.directory import seed_default_directory
from app.security import create_key

ADMIN_URL = normalise_database_url(
    os.environ.get("POSTGRES_ADMIN_URL", "postgresql://127.0.0.1:5432/postgres"))
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
ENGINES = ("sqlite", "postgresql")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _pg_admin() -> Engine:
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT",
                         connect_args={"connect_timeout": 5})


def _pg_available() -> bool:
    try:
        with _pg_admin().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        if REQUIRE_POSTGRES:
            raise RuntimeError(f"PostgreSQL required but unreachable at {ADMIN_URL}") from None
        return False


@dataclass
class Database:
    kind: str
    url: str
    engine: Engine


def create_database(kind: str, tmp: Path, *, seed: bool = True) -> Database:
    if kind == "sqlite":
        url = f"sqlite:///{tmp / ('db-' + uuid.uuid4().hex[:8] + '.sqlite3')}"
    else:
        if not _pg_available():
            pytest.skip("PostgreSQL unreachable (set REQUIRE_POSTGRES=1 to fail instead)")
        name = f"hi_test_{uuid.uuid4().hex[:12]}"
        with _pg_admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade_head(url)
    engine = make_engine(url, pool_size=30)
    if seed:
        with Session(engine) as session, session.begin():
            seed_default_directory(session)
    return Database(kind, url, engine)


def drop_database(db: Database) -> None:
    db.engine.dispose()
    if db.kind == "postgresql":
        name = db.url.rsplit("/", 1)[1]
        with _pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Database]:
    db = create_database(request.param, tmp_path_factory.mktemp(request.param))
    yield db
    drop_database(db)


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of the test's own (concurrency, crashes, several processes). Parametrise
    the test with `engine` to choose; defaults to PostgreSQL."""
    kind = getattr(request, "param", "postgresql")
    db = create_database(kind, tmp_path)
    yield db
    drop_database(db)


@pytest.fixture
def connection(database: Database) -> Iterator[Connection]:
    conn = database.engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


def build_app(factory: sessionmaker[Session]) -> FastAPI:
    """The real app, its sessions drawn from `factory` (a test's connection or database)."""
    return create_app(sessions=factory, run_scheduler=False)


def make_client(factory: sessionmaker[Session]) -> TestClient:
    return TestClient(build_app(factory), raise_server_exceptions=False)


@contextmanager
def live_server(db: Database) -> Iterator[str]:
    """The app under uvicorn on a free port, on `db`, committing for real."""
    factory = sessionmaker(bind=db.engine, expire_on_commit=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(build_app(factory), host="127.0.0.1", port=port, log_config=None,
                            access_log=False, limit_concurrency=200)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def key_in(db: Database, role: str, agency_code: str | None = None) -> str:
    """A committed key in a database of its own."""
    with Session(db.engine) as s, s.begin():
        agency = s.query(Agency).filter_by(code=agency_code).one() if agency_code else None
        _, raw = create_key(session=s, role=role, agency=agency, name=f"test {role}")
    return raw


@pytest.fixture
def client(sessions: sessionmaker[Session]) -> TestClient:
    return make_client(sessions)


KeyMaker = Callable[..., str]


@pytest.fixture
def make_key(sessions: sessionmaker[Session]) -> KeyMaker:
    def _make(role: str, agency_code: str | None = None) -> str:
        with sessions() as s, s.begin():
            agency = s.query(Agency).filter_by(code=agency_code).one() if agency_code else None
            _, raw = create_key(session=s, role=role, agency=agency, name=f"test {role}")
        return raw

    return _make


def auth(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


@pytest.fixture
def callcentre(make_key: KeyMaker) -> dict[str, str]:
    return auth(make_key("callcentre"))


def post_report(client: TestClient, headers: dict[str, str], body: dict[str, Any],
                key: str | None = None) -> Any:
    return client.post("/v1/reports", json=body,
                       headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})
