"""Idempotency-Key for POST /v1/reports (IETF httpapi draft semantics).

A key is claimed in its own short transaction before the work starts, so a concurrent retry
sees it at once (409 while in flight). The finished response is stored in the SAME transaction
as the report, so a stored response always has its report and vice versa. A failed request
releases its claim; a claim whose holder died expires after its lease and can be taken over.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.audit.chain import canonical_json
from app.errors import BadRequest, Conflict, IdempotencyMismatch
from app.models import IdempotencyRecord, utcnow

MAX_KEY_LENGTH = 255


def fingerprint(body: Any) -> str:
    """Bodies are compared as parsed JSON: key order and white space do not matter."""
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: dict[str, Any]


def check_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise BadRequest("The Idempotency-Key header is required on this request.",
                         errors=[{"field": "Idempotency-Key", "message": "required"}])
    if len(raw) > MAX_KEY_LENGTH or not raw.isprintable():
        raise BadRequest("Idempotency-Key must be at most 255 printable characters.",
                         errors=[{"field": "Idempotency-Key", "message": "invalid"}])
    return raw.strip()


@dataclass(frozen=True, slots=True)
class Claim:
    api_key_id: str
    key: str
    token: str  # proves at completion that the claim was not taken over meanwhile


def claim(factory: sessionmaker[Session], *, api_key_id: str, key: str, fp: str,
          lease: timedelta, ttl: timedelta, now: datetime | None = None) -> Claim | Replay:
    """Claim the key for this request, or return the stored response to replay.

    Raises Conflict while another request holds the key, IdempotencyMismatch for another body.
    """
    now = now or utcnow()
    token = secrets.token_hex(16)
    with factory() as session, session.begin():
        record = session.get(IdempotencyRecord, (api_key_id, key), with_for_update=True)
        if record is not None and record.expires_at <= now:
            session.delete(record)
            session.flush()
            record = None
        if record is None:
            session.add(IdempotencyRecord(api_key_id=api_key_id, key=key, fingerprint=fp,
                                          state="in_flight", locked_until=now + lease,
                                          expires_at=now + ttl, claim_token=token))
            try:
                session.flush()
            except IntegrityError:
                raise Conflict("A request with this Idempotency-Key is in progress.",
                               headers={"Retry-After": "1"}) from None
            return Claim(api_key_id, key, token)
        if record.fingerprint != fp:
            raise IdempotencyMismatch("This Idempotency-Key was used with a different body.")
        if record.state == "done":
            return Replay(status=record.response_status or 200,
                          body=json.loads(record.response_body or "{}"))
        if record.locked_until > now:
            raise Conflict("A request with this Idempotency-Key is in progress.",
                           headers={"Retry-After": "1"})
        # The previous holder died (or overran its lease): take the claim over. Its token no
        # longer matches, so if it is merely slow its completion rolls back instead of
        # writing a second report.
        record.locked_until, record.claim_token = now + lease, token
        return Claim(api_key_id, key, token)


def complete(session: Session, claim: Claim, *, status: int, body: dict[str, Any]) -> None:
    """Store the response in the caller's transaction (the one that wrote the report)."""
    record = session.get(IdempotencyRecord, (claim.api_key_id, claim.key), with_for_update=True)
    if record is None or record.state == "done" or record.claim_token != claim.token:
        raise Conflict("This Idempotency-Key was taken over by a retry; its answer stands.")
    record.state = "done"
    record.response_status = status
    record.response_body = json.dumps(body, ensure_ascii=False)
    session.flush()


def release(factory: sessionmaker[Session], claim: Claim) -> None:
    """The request failed and wrote nothing: let a retry start afresh."""
    with factory() as session, session.begin():
        session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == claim.api_key_id, IdempotencyRecord.key == claim.key,
            IdempotencyRecord.claim_token == claim.token, IdempotencyRecord.state == "in_flight"))


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    result = session.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)
