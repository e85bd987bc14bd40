"""Idempotency-Key for POST /v1/reports (IETF httpapi draft semantics).

The key is claimed by the first statement of the request's own transaction and its response
stored by the last, so the claim, the report and the stored answer commit together or not at
all: a failed or killed request leaves nothing behind and a retry starts afresh. While the
first request is in flight its uncommitted claim holds the row lock; a concurrent retry waits
at most LOCK_WAIT for it (PostgreSQL) and then answers 409. On SQLite one writer at a time
makes the retry wait for the first to finish, and then replay it.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.audit.chain import canonical_json
from app.errors import BadRequest, Conflict, IdempotencyMismatch
from app.models import IdempotencyRecord, table, utcnow

MAX_KEY_LENGTH = 255
LOCK_WAIT = "200ms"
_RECORDS = table(IdempotencyRecord)
_CLAIMED = ("api_key_id", "key", "fingerprint", "state", "created_at", "expires_at")
# PostgreSQL: the claim first sets the lock wait for the rest of this short transaction (it
# takes no other contended lock), in its own statement's FROM: one round trip, not two
_WITH_LOCK_WAIT = select(func.set_config("lock_timeout", LOCK_WAIT, True)).subquery("lock_wait")
_CLAIM = {
    "postgresql": pg_insert(_RECORDS).from_select(
        list(_CLAIMED), select(*(bindparam(c, type_=_RECORDS.c[c].type) for c in _CLAIMED))
        .select_from(_WITH_LOCK_WAIT)).on_conflict_do_nothing().returning(_RECORDS.c.key),
    "sqlite": sqlite_insert(_RECORDS).on_conflict_do_nothing().returning(_RECORDS.c.key),
}
_COMPLETE = update(_RECORDS).where(
    _RECORDS.c.api_key_id == bindparam("k_api_key_id"), _RECORDS.c.key == bindparam("k_key"),
    _RECORDS.c.state == "in_flight")


def fingerprint(body: Any) -> str:
    """Bodies are compared as parsed JSON: key order and white space do not matter."""
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: str  # the JSON text stored by complete(), sent again as it is


def check_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise BadRequest("The Idempotency-Key header is required on this request.",
                         errors=[{"field": "Idempotency-Key", "message": "required"}])
    if len(raw) > MAX_KEY_LENGTH or not raw.isprintable():
        raise BadRequest("Idempotency-Key must be at most 255 printable characters.",
                         errors=[{"field": "Idempotency-Key", "message": "invalid"}])
    return raw.strip()


def _in_flight() -> Conflict:
    return Conflict("A request with this Idempotency-Key is in progress.",
                    headers={"Retry-After": "1"})


def claim(session: Session, *, api_key_id: str, key: str, fp: str, ttl: timedelta,
          now: datetime | None = None) -> Replay | None:
    """Claim the key in the caller's transaction (None), or return the answer to replay.

    Raises Conflict while another request holds the key, IdempotencyMismatch for another body.
    """
    now = now or utcnow()
    conn = session.connection()
    try:
        claimed = conn.execute(_CLAIM[conn.dialect.name], {
            "api_key_id": api_key_id, "key": key, "fingerprint": fp, "state": "in_flight",
            "created_at": now, "expires_at": now + ttl}).first() is not None
    except OperationalError as exc:
        if "lock timeout" in str(exc.orig) or getattr(exc.orig, "sqlstate", "") == "55P03":
            raise _in_flight() from None
        raise
    if claimed:
        return None
    record = session.get(IdempotencyRecord, (api_key_id, key), populate_existing=True)
    if record is None:  # purged between the two statements: a fresh start
        return claim(session, api_key_id=api_key_id, key=key, fp=fp, ttl=ttl, now=now)
    if record.expires_at <= now:
        session.delete(record)
        session.flush()
        return claim(session, api_key_id=api_key_id, key=key, fp=fp, ttl=ttl, now=now)
    if record.fingerprint != fp:
        raise IdempotencyMismatch("This Idempotency-Key was used with a different body.")
    if record.state != "done":
        raise _in_flight()
    return Replay(status=record.response_status or 200, body=record.response_body or "{}")


def complete(session: Session, *, api_key_id: str, key: str, status: int, body: str) -> None:
    """Store the answer (its JSON text) in the same transaction as the claim and the report."""
    session.flush()
    done = session.connection().execute(_COMPLETE, {
        "k_api_key_id": api_key_id, "k_key": key, "state": "done", "response_status": status,
        "response_body": body})
    if getattr(done, "rowcount", 1) != 1:
        raise RuntimeError("idempotency key was not claimed in this transaction")


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    result = session.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)
