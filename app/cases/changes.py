"""Change positions for the agency feed; the newest visible one is the agency's version.

On PostgreSQL a poll must never skip a change even when transactions commit out of order:
every change records its transaction id, and a poll returns only changes of transactions
older than the oldest still open (`pg_snapshot_xmin`). A change of a transaction still open is
held back until it commits, so the cursor never passes it. SQLite has one writer at a time, so
commit order is change order and the sequence alone suffices.
"""

import base64
import binascii
import json
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    cast,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from app.errors import InvalidField
from app.models import Case, ChangeCounter
from app.webhooks import service as webhooks


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_PG_POSITIONS = text("SELECT pg_current_xact_id()::text::bigint, nextval('case_change_seq') "
                     "FROM generate_series(1, :n)")


def next_positions(session: Session, n: int) -> tuple[int, list[int]]:
    """The transaction id and `n` fresh sequence numbers for changes made now."""
    if _is_pg(session):
        rows = session.connection().execute(_PG_POSITIONS, {"n": n}).all()
        return int(rows[0][0]), [int(r[1]) for r in rows]
    session.execute(sqlite_insert(ChangeCounter).values(id=1, value=0)
                    .on_conflict_do_nothing())
    last = session.execute(update(ChangeCounter).where(ChangeCounter.id == 1)
                           .values(value=ChangeCounter.value + n)
                           .returning(ChangeCounter.value)).scalar_one()
    first = int(last) - n + 1
    return first, list(range(first, int(last) + 1))


_XMIN: ColumnElement[int] = literal_column(
    "pg_snapshot_xmin(pg_current_snapshot())::text::bigint", BigInteger)
_OWN_TXID: ColumnElement[int] = literal_column(
    "pg_current_xact_id_if_assigned()::text::bigint", BigInteger)


def visible_horizon(session: Session) -> tuple[int, int | None] | None:
    """(xmin, own txid): changes of transactions below xmin have all committed; the reading
    transaction also sees its own. None on SQLite: there commit order is change order."""
    if _is_pg(session):
        row = session.execute(select(_XMIN, _OWN_TXID)).one()
        return int(row[0]), None if row[1] is None else int(row[1])
    return None


def version_of(agency_id: Any, dialect: str) -> ScalarSelect[Any]:
    """The agency's newest visible change position, "txid.seq": it moves with every change to
    any of its cases, so it decides a 304 in one index read, and it takes no lock on write.
    `agency_id` is a value or a column (the key look-up correlates it with the key's agency)."""
    q = select(cast(Case.change_txid, String) + "." + cast(Case.change_seq, String)).where(
        Case.agency_id == agency_id)
    if dialect == "postgresql":
        q = q.where(or_(Case.change_txid < _XMIN, Case.change_txid == _OWN_TXID))
    return (q.order_by(Case.change_txid.desc(), Case.change_seq.desc()).limit(1)
            .scalar_subquery())


def touch(session: Session, cases: list[Case], event: str,
          hooked: dict[int, str] | None = None) -> None:
    """Record a change of these cases: a fresh feed position for each, and `event` queued
    for the agencies that take pushes, in this same transaction. `hooked` (agency id -> code
    of those with a live webhook), when the caller knows it, saves a look-up."""
    if not cases:
        return
    stamp(session, cases)
    webhooks.emit(session, cases, event, hooked=hooked)
    session.flush()


def stamp(session: Session, cases: list[Case]) -> None:
    """Give these cases fresh feed positions."""
    with session.no_autoflush:
        txid, seqs = next_positions(session, len(cases))
    for case, seq in zip(cases, seqs, strict=True):
        case.change_txid, case.change_seq = txid, seq


_PG_NEW_POSITIONS: tuple[tuple[str, ColumnElement[Any]], ...] = (
    ("change_txid", literal_column("pg_current_xact_id()::text::bigint", BigInteger)),
    ("change_seq", literal_column("nextval('case_change_seq')", BigInteger)),
)


def stamp_new(session: Session, cases: list[Case]) -> tuple[tuple[str, ColumnElement[Any]], ...]:
    """Feed positions for cases about to be inserted: on PostgreSQL the SQL that gives each row
    its own in the INSERT (for `insert_new(..., computed=...)`, one round trip less); on
    SQLite they are stamped on the objects here, and there is no SQL to add."""
    if _is_pg(session):
        return _PG_NEW_POSITIONS
    stamp(session, cases)
    return ()


def encode_cursor(kind: str, values: tuple[object, ...]) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str, kind: str, arity: int) -> tuple[object, ...]:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidField("cursor", "not a cursor this service issued") from None
    if not isinstance(data, list) or len(data) != arity + 1 or data[0] != kind:
        raise InvalidField("cursor", f"not a {kind} cursor")
    return tuple(data[1:])
