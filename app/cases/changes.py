"""Change positions for the agency feed, and per-agency versions for cheap 304s.

On PostgreSQL a poll must never skip a change even when transactions commit out of order:
every change records its transaction id, and a poll returns only changes of transactions
older than the oldest still open (`pg_snapshot_xmin`). A change of a transaction still open is
held back until it commits, so the cursor never passes it. SQLite has one writer at a time, so
commit order is change order and the sequence alone suffices.
"""

import base64
import binascii
import json

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.errors import InvalidField
from app.models import AgencyVersion, Case, ChangeCounter


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def next_positions(session: Session, n: int) -> tuple[int, list[int]]:
    """The transaction id and `n` fresh sequence numbers for changes made now."""
    if _is_pg(session):
        txid = session.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
        seqs = session.scalars(text("SELECT nextval('case_change_seq') "
                                    "FROM generate_series(1, :n)").bindparams(n=n)).all()
        return int(txid), [int(x) for x in seqs]
    session.execute(sqlite_insert(ChangeCounter).values(id=1, value=0)
                    .on_conflict_do_nothing())
    last = session.execute(update(ChangeCounter).where(ChangeCounter.id == 1)
                           .values(value=ChangeCounter.value + n)
                           .returning(ChangeCounter.value)).scalar_one()
    first = int(last) - n + 1
    return first, list(range(first, int(last) + 1))


def visible_horizon(session: Session) -> tuple[int, int | None] | None:
    """(xmin, own txid): changes of transactions below xmin have all committed; the reading
    transaction also sees its own. None on SQLite: there commit order is change order."""
    if _is_pg(session):
        row = session.execute(text(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
            "pg_current_xact_id_if_assigned()::text::bigint")).one()
        return int(row[0]), None if row[1] is None else int(row[1])
    return None


def bump_versions(session: Session, agency_ids: set[int]) -> None:
    if not agency_ids:
        return
    ins = pg_insert if _is_pg(session) else sqlite_insert
    for agency_id in sorted(agency_ids):  # a fixed order: no deadlock between two writers
        stmt = ins(AgencyVersion).values(agency_id=agency_id, version=1)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[AgencyVersion.agency_id],
            set_={"version": AgencyVersion.version + 1}))


def touch(session: Session, cases: list[Case]) -> None:
    """Record a change of these cases: feed position and their agencies' versions."""
    if not cases:
        return
    txid, seqs = next_positions(session, len(cases))
    for case, seq in zip(cases, seqs, strict=True):
        case.change_txid, case.change_seq = txid, seq
    bump_versions(session, {c.agency_id for c in cases})
    session.flush()


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
