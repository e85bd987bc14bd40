"""Append audit entries in the caller's transaction; seal them into one chain in commit order.

Appending takes no lock, so intake never waits for the chain: an entry goes in with a row in
audit_pending, which a trigger adds in the entry's own INSERT. Sealing runs after commit (by
the request, the scheduler and `audit verify`): one sealer at a time holds the head row and
links the committed pending entries in id order. The head row is the checkpoint kept outside
the entries, so cutting off the newest entries and their seals shows at verify.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.audit.chain import GENESIS, canonical_json, content_hash, link_hash
from app.models import AuditEntry, AuditHead, AuditPending, AuditSeal, insert_new, utcnow

log = logging.getLogger("app.audit")
HEAD_ID = 1
SEAL_BATCH = 500


def append(session: Session, *, report_id: str | None, action: str, actor: str,
           payload: dict[str, Any], occurred_at: datetime | None = None) -> AuditEntry:
    """Insert the entry (a prepared INSERT, after a flush of what the entry may name); the
    database's trigger adds its pending row. The returned entry is not tracked by the session:
    it is the row written."""
    when = occurred_at or utcnow()
    text = canonical_json(payload)
    entry = AuditEntry(report_id=report_id, action=action, actor=actor, occurred_at=when,
                       payload=text,
                       content_hash=content_hash(report_id=report_id, action=action,
                                                 actor=actor, occurred_at=when, payload=text))
    session.flush()
    insert_new(session, [entry])
    return entry


def _entry_hash(entry: AuditEntry) -> str:
    return content_hash(report_id=entry.report_id, action=entry.action, actor=entry.actor,
                        occurred_at=entry.occurred_at, payload=entry.payload)


def seal_pending(session: Session, *, wait: bool = False,
                 checkpoint_path: str | None = None) -> int:
    """Link committed unsealed entries into the chain. Returns how many were sealed.

    With wait=False a sealer already at work is left to it (SKIP LOCKED) and we return 0.
    The caller commits.
    """
    stmt = select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update(skip_locked=not wait)
    head = session.scalars(stmt).one_or_none()
    if head is None:
        return 0
    sealed = 0
    while True:
        pending = session.scalars(
            select(AuditEntry).join(AuditPending, AuditPending.entry_id == AuditEntry.id)
            .order_by(AuditEntry.id).limit(SEAL_BATCH)
        ).all()
        for entry in pending:
            seq = head.seq + 1
            chain = link_hash(prev_hash=head.chain_hash, seq=seq, entry_id=entry.id,
                              content=_entry_hash(entry))
            session.add(AuditSeal(seq=seq, entry_id=entry.id, prev_hash=head.chain_hash,
                                  chain_hash=chain))
            head.seq, head.chain_hash = seq, chain
        head.updated_at = utcnow()
        session.flush()
        if pending:
            session.execute(delete(AuditPending).where(
                AuditPending.entry_id.in_([e.id for e in pending])))
        sealed += len(pending)
        if len(pending) < SEAL_BATCH:
            break
    if sealed and checkpoint_path:
        _write_checkpoint(checkpoint_path, head.seq, head.chain_hash)
    return sealed


def _write_checkpoint(path: str, seq: int, chain_hash: str) -> None:
    target = Path(path)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"seq": seq, "chain_hash": chain_hash}))
    tmp.replace(target)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_bad": self.first_bad}


# Entries younger than this may still wait for the sealer; older unsealed ones are a fault.
SEAL_GRACE = timedelta(minutes=5)


def verify(session: Session, *, checkpoint_path: str | None = None,
           now: datetime | None = None) -> VerifyResult:
    """Walk the chain from the start; name the first entry or seal that does not add up.
    Run it in one snapshot (REPEATABLE READ on PostgreSQL) while intake goes on."""
    prev, expected_seq, checked = GENESIS, 1, 0
    rows = session.execute(
        select(AuditSeal, AuditEntry).outerjoin(AuditEntry, AuditEntry.id == AuditSeal.entry_id)
        .order_by(AuditSeal.seq).execution_options(yield_per=1000)
    )
    for seal, entry in rows:
        problem = _check_link(seal, entry, prev, expected_seq)
        if problem:
            return VerifyResult(False, checked, {"seq": expected_seq, "entry_id": seal.entry_id,
                                                 "problem": problem})
        prev, expected_seq, checked = seal.chain_hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, HEAD_ID)
    last_seq = expected_seq - 1
    if head is None or head.seq != last_seq or head.chain_hash != prev:
        return VerifyResult(False, checked, {"seq": last_seq + 1, "entry_id": None,
                                             "problem": "chain ends before its recorded head "
                                                        "(newest entries cut off)"})
    bad = _check_external_checkpoint(checkpoint_path, session, last_seq)
    if bad:
        return VerifyResult(False, checked, bad)
    # A full anti-join (verify may take its time): also catches rows forged into the table
    # without a pending mark.
    unsealed = session.scalar(select(func.min(AuditEntry.id)).where(
        ~select(AuditSeal.entry_id).where(AuditSeal.entry_id == AuditEntry.id).exists(),
        AuditEntry.occurred_at < (now or utcnow()) - SEAL_GRACE))
    if unsealed is not None:
        return VerifyResult(False, checked, {"seq": None, "entry_id": unsealed,
                                             "problem": "entry not sealed into the chain"})
    return VerifyResult(True, checked, None)


def _check_link(seal: AuditSeal, entry: AuditEntry | None, prev: str, seq: int) -> str | None:
    if seal.seq != seq:
        return f"sequence gap: expected {seq}, found {seal.seq} (entries deleted)"
    if entry is None:
        return "entry deleted"
    if seal.prev_hash != prev:
        return "chain broken (entries reordered or removed)"
    if entry.content_hash != _entry_hash(entry):
        return "entry edited"
    if seal.chain_hash != link_hash(prev_hash=prev, seq=seq, entry_id=entry.id,
                                    content=_entry_hash(entry)):
        return "chain hash mismatch (entry edited or reordered)"
    return None


def _check_external_checkpoint(path: str | None, session: Session, last_seq: int
                               ) -> dict[str, Any] | None:
    if not path or not Path(path).exists():
        return None
    mark = json.loads(Path(path).read_text())
    if mark["seq"] > last_seq:
        return {"seq": last_seq + 1, "entry_id": None,
                "problem": f"checkpoint file records {mark['seq']} sealed entries"}
    seal = session.get(AuditSeal, mark["seq"])
    if seal is not None and seal.chain_hash != mark["chain_hash"]:
        return {"seq": mark["seq"], "entry_id": seal.entry_id,
                "problem": "chain differs from the checkpoint file"}
    return None


def entries_for_report(session: Session, report_id: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.report_id == report_id)
                                .order_by(AuditEntry.occurred_at, AuditEntry.id)))
