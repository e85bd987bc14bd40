"""Engine and sessions. The request-scoped session dependency owns the transaction."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

import anyio
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
        pool_timeout=10,
        connect_args={
            "connect_timeout": 5,
            # the OS notices a dead idle connection (a restarted server) before we use it
            "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
            "keepalives_count": 3,
            "options": f"-c statement_timeout={statement_timeout_ms}",
        },
    )


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
