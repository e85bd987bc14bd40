"""API keys: random, shown once, stored as SHA-256; each carries a role (and maybe an agency)."""

import hashlib
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Connection, Row, Select, bindparam, select
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from app.config import Settings, app_settings
from app.db import get_session
from app.errors import Forbidden, TooManyRequests, Unauthorized
from app.models import Agency, ApiKey, utcnow
from app.ratelimit import BUCKETS, parse_limits, retry_after

Role = Literal["callcentre", "app", "agency", "admin"]
ROLES: tuple[str, ...] = ("callcentre", "app", "agency", "admin")
KEY_PREFIX = "hik_"


def hash_key(raw: str) -> str:
    # Keys carry 256 bits of randomness, so a plain hash suffices (no password stretching).
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: str
    agency_id: int | None
    agency_code: str | None

    @property
    def actor(self) -> str:
        who = f"agency:{self.agency_code}" if self.agency_code else self.role
        return f"{who} key:{self.key_id}"


def create_key(*, session: Session, role: str, agency: Agency | None, name: str | None
               ) -> tuple[ApiKey, str]:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if (role == "agency") != (agency is not None):
        raise ValueError("an agency key needs exactly one agency; other roles none")
    raw = generate_key()
    key = ApiKey(key_hash=hash_key(raw), key_prefix=raw[:10], role=role,
                 agency_id=agency.id if agency else None, name=name)
    session.add(key)
    session.flush()
    return key, raw


def key_lookup(*extra: Any) -> Select[Any]:
    """The key look-up; `extra` columns ride along in its one round trip (the agency poll
    reads its agency's version with it)."""
    return (select(ApiKey.id, ApiKey.role, ApiKey.agency_id, ApiKey.revoked_at, Agency.code,
                   Agency.active, *extra)
            .outerjoin(Agency, Agency.id == ApiKey.agency_id)
            .where(ApiKey.key_hash == bindparam("key_hash")))


_KEY_LOOKUP = key_lookup()


def key_row(db: Session | Connection, authorization: str | None,
            lookup: Executable = _KEY_LOOKUP) -> Row[Any]:
    """The row of a live key named by an `Authorization: Bearer` header, or Unauthorized."""
    key_hash = bearer_key_hash(authorization)
    conn = db.connection() if isinstance(db, Session) else db
    row: Row[Any] = live_key(conn.execute(lookup, {"key_hash": key_hash}).one_or_none())
    return row


def bearer_key_hash(authorization: str | None) -> str:
    """The hash to look the key up by, from an `Authorization: Bearer` header."""
    if not authorization:
        raise Unauthorized("Send Authorization: Bearer <api key>.")
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send Authorization: Bearer <api key>.")
    return hash_key(raw.strip())


def live_key(row: Any) -> Any:
    """The key look-up's row if the key is live (any row with its columns as attributes)."""
    if row is None or row.revoked_at is not None:
        raise Unauthorized("The API key is unknown or revoked.")
    if row.role == "agency" and not row.active:
        raise Unauthorized("The key's agency is deactivated.")
    return row


def _principal(row: Any) -> Principal:
    return Principal(key_id=row.id, role=row.role, agency_id=row.agency_id,
                     agency_code=row.code)


def authenticate(session: Session, authorization: str | None) -> Principal:
    return _principal(key_row(session, authorization))


bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer hik_...`")


@dataclass(frozen=True, slots=True)
class PooledQuery:
    """A look-up compiled once for the read pool's connections: its SQL and fixed params."""
    sql: str
    params: dict[str, Any]


def for_read_pool(stmt: Select[Any]) -> PooledQuery:
    """Compile a look-up for the read pool (PostgreSQL, psycopg), once."""
    compiled = stmt.compile(dialect=postgresql_psycopg.dialect())  # type: ignore[no-untyped-call]
    return PooledQuery(str(compiled), dict(compiled.params))


_KEY_LOOKUP_PG = for_read_pool(_KEY_LOOKUP)


def read_pool(request: Request) -> AsyncConnectionPool | None:
    """The app's read pool (app.db.open_read_pool), when it has one."""
    pool: AsyncConnectionPool | None = getattr(request.app.state, "read_pool", None)
    return pool


async def pooled_key_row(pool: AsyncConnectionPool, authorization: str | None,
                         lookup: PooledQuery = _KEY_LOOKUP_PG) -> Any:
    """key_row on the read pool, on the event loop: no worker thread, no transaction. The row
    is a named tuple with the same attributes."""
    key_hash = bearer_key_hash(authorization)
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=namedtuple_row)
        await cur.execute(lookup.sql, {**lookup.params, "key_hash": key_hash})
        return live_key(await cur.fetchone())


async def current_principal(
        request: Request, session: Annotated[Session, Depends(get_session, scope="function")],
        settings: Annotated[Settings, Depends(app_settings)],
        _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> Principal:
    """The caller, by a look-up on the read pool (PostgreSQL), else on the request's session
    (SQLite, or a test's connection) on a worker thread."""
    authorization = request.headers.get("authorization")
    pool = read_pool(request)
    if pool is None:
        return await run_in_threadpool(
            lambda: admit(request, session, settings, key_row(session, authorization)))
    return admit(request, session, settings, await pooled_key_row(pool, authorization))


def admit(request: Request, session: Session, settings: Settings, row: Any) -> Principal:
    """The caller of a live key, within its rate limit."""
    principal = _principal(row)
    limit = parse_limits(settings.rate_limits).get(principal.role)
    if limit is not None:
        wait = BUCKETS.take(principal.key_id, limit)
        if wait:
            raise TooManyRequests("Too many requests for this key; slow down.",
                                  headers={"Retry-After": retry_after(wait)})
    if session.get_bind().dialect.name == "sqlite":
        # End the read transaction at once: on SQLite it holds the database lock (BEGIN
        # IMMEDIATE), which other connections (the audit sealer) must be able to take.
        session.commit()
    request.state.principal = principal
    return principal


def require_role(principal: Principal, roles: tuple[str, ...]) -> Principal:
    if principal.role not in roles:
        raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
    return principal


def allow(*roles: str) -> Any:
    """`Annotated[Principal, allow("admin")]`: the caller must hold one of `roles`."""

    async def _check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        return require_role(principal, roles)

    return Depends(_check)


def revoke_key(*, session: Session, key_id: str) -> bool:
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    session.flush()
    return True
