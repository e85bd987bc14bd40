"""Engine and sessions. The request-scoped session dependency owns the transaction."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

import anyio
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings


def make_engine(url: str, *, pool_size: int = 10, statement_timeout_ms: int = 15_000) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # no pre-ping round trip per checkout: a dropped connection raises a disconnect error,
        # which invalidates the whole pool (SQLAlchemy), so the next checkout reconnects
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args=_pg_connect_args(statement_timeout_ms),
    )


POOL_TIMEOUT_S = 10


def _pg_connect_args(statement_timeout_ms: int) -> dict[str, Any]:
    return {
        "connect_timeout": 5,
        # the OS notices a dead idle connection (a restarted server) before we use it
        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
        "keepalives_count": 3,
        "options": f"-c statement_timeout={statement_timeout_ms}",
    }


async def open_read_pool(factory: sessionmaker[Session]) -> AsyncConnectionPool | None:
    """PostgreSQL: a small pool of autocommit connections on the event loop, for every
    request's key look-up (which for an agency's poll also reads the version that answers a
    304), so it needs no worker thread and no statement in the request's transaction. None on
    SQLite, or when sessions are bound to a connection (a test's), whose uncommitted rows
    another connection would not see. Opening does not wait for the database: a request while
    it is away fails like any other (503), and the pool reconnects by itself."""
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return None
    s = get_settings()
    conninfo = bind.url.set(drivername="postgresql").render_as_string(hide_password=False)
    pool = AsyncConnectionPool(
        conninfo, min_size=1, max_size=max(2, s.db_pool_size // 2), timeout=POOL_TIMEOUT_S,
        kwargs={"autocommit": True, "prepare_threshold": 0,
                **_pg_connect_args(s.db_statement_timeout_ms)},
        open=False, name="read")
    await pool.open(wait=False)
    return pool


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _sqlite_begin_immediate).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
    # instead of one failing with "database is locked" when it upgrades a read lock.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@cache
def get_engine() -> Engine:
    s = get_settings()
    return make_engine(
        s.database_url, pool_size=s.db_pool_size, statement_timeout_ms=s.db_statement_timeout_ms
    )


@cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False, autoflush=True)


def transaction_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit on success, roll back on any error. Services only flush()."""
    session = factory()
    try:
        yield session
    except BaseException:
        _roll_back_and_close(session)
        raise
    _commit_and_close(session)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


@asynccontextmanager
async def request_transaction(factory: sessionmaker[Session]) -> AsyncIterator[Session]:
    """transaction_scope for a request. Opening a session does no I/O, so it happens on the
    event loop; the commit (or rollback) runs on a worker thread, shielded from cancellation so
    a disconnecting client never leaves a transaction half-finished. Sync dependencies would
    each cost a thread hop at entry and at exit."""
    session = factory()
    try:
        yield session
    except BaseException:
        if not session.in_transaction():  # nothing to roll back: closing does no I/O
            session.close()
            raise
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_roll_back_and_close, session)
        raise
    if not session.in_transaction():  # nothing to commit: closing does no I/O
        session.close()
        return
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(_commit_and_close, session)


async def get_session() -> AsyncIterator[Session]:
    """Request dependency: the request's one transaction."""
    async with request_transaction(get_sessionmaker()) as session:
        yield session  # an error here is thrown into request_transaction: it rolls back
