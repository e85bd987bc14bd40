"""ORM models: one metadata with a naming convention so constraints have stable names."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    insert,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.sql import Insert

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both engines (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# 64-bit keys on PostgreSQL; SQLite only autoincrements a column declared INTEGER
BigId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON,
    }


def table(model: type[Base]) -> Table:
    """A model's table, for prepared Core statements on the hot paths."""
    return cast(Table, model.__table__)


@cache
def _insert_returning(model: type[Base], missing: tuple[str, ...],
                      computed: tuple[tuple[str, ColumnElement[Any]], ...] = ()) -> Insert:
    stmt = insert(table(model))
    if computed:
        stmt = stmt.values(dict(computed))
    if missing:
        stmt = stmt.returning(*(table(model).c[k] for k in missing),
                              sort_by_parameter_order=True)
    return stmt


def insert_new(session: Session, objects: Sequence[Base],
               computed: tuple[tuple[str, ColumnElement[Any]], ...] = ()) -> None:
    """INSERT new objects of one model with one prepared Core statement, past the unit of
    work: on the intake path a flush costs more than the INSERT itself. Columns the objects
    leave unset get their defaults in the database round trip (RETURNING), and so do the
    `computed` ones, (column, SQL expression) pairs evaluated for each row by the database,
    so each object then holds exactly the row written. The objects stay transient: the
    session does not track them, and changing one afterwards changes nothing in the
    database."""
    if not objects:
        return
    model = type(objects[0])
    columns = [c.key for c in table(model).columns]
    values = [{k: o.__dict__[k] for k in columns if k in o.__dict__} for o in objects]
    given = tuple(values[0])
    if any(tuple(v) != given for v in values):
        raise ValueError("insert_new: objects must set the same columns")
    set_by_sql = {k for k, _ in computed}
    missing = tuple(k for k in columns if k not in values[0] or k in set_by_sql)
    if set_by_sql:
        values = [{k: v for k, v in row.items() if k not in set_by_sql} for row in values]
    # one row: a plain execute (a list would take the batched insertmanyvalues path)
    result = session.connection().execute(_insert_returning(model, missing, computed),
                                          values[0] if len(values) == 1 else values)
    if missing:
        for obj, row in zip(objects, result.all(), strict=True):
            for key, value in zip(missing, row, strict=True):
                setattr(obj, key, value)


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (Index("ix_agencies_kind_unit", "kind", "unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str | None] = mapped_column(String(8), index=True)
    province_code: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AgencyCoverage(Base):
    """Further units an agency serves besides its own `unit_code` (e.g. after a merger)."""

    __tablename__ = "agency_coverage"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    agency: Mapped[Agency | None] = relationship(lazy="raise")


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("submitted_by_key_id", "external_ref"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    contact_type: Mapped[str] = mapped_column(String(16))
    follow_up_of_id: Mapped[str | None] = mapped_column(ForeignKey("reports.id"), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(128))
    submitted_by_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    received_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    # the description with the reporter's name masked, when it names them (agencies read it)
    agency_description: Mapped[str | None] = mapped_column(Text)
    children: Mapped[list[Any]] = mapped_column(default=list)
    location_input: Mapped[dict[str, Any]] = mapped_column(default=dict)
    location: Mapped[dict[str, Any]] = mapped_column(default=dict)
    province_code: Mapped[str | None] = mapped_column(String(2), index=True)
    ward_code: Mapped[str | None] = mapped_column(String(5))
    urgency_level: Mapped[str] = mapped_column(String(16))
    computed_level: Mapped[str] = mapped_column(String(16))
    urgency_reasons: Mapped[list[Any]] = mapped_column(default=list)
    ruleset_version: Mapped[str] = mapped_column(String(64))
    override_reason: Mapped[str | None] = mapped_column(Text)
    primary_category: Mapped[str | None] = mapped_column(String(32))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    indicators: Mapped[dict[str, Any]] = mapped_column(default=dict)
    routing_notes: Mapped[list[Any]] = mapped_column(default=list)
    routing_policy_version: Mapped[str | None] = mapped_column(String(64))
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    ack_due_at: Mapped[datetime | None] = mapped_column()
    action_due_at: Mapped[datetime | None] = mapped_column()
    reporter_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_relationship: Mapped[str | None] = mapped_column(String(64))
    # AES-GCM sealed {"name", "phone"}, bound to the report id; see app/reports/confidential.py.
    reporter_contact: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)


class Case(Base):
    """One agency's view of one report."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("report_id", "agency_id"),
        Index("ix_cases_agency_status", "agency_id", "status"),
        # the work queue in its own order (most urgent, then the earliest acknowledgement
        # deadline): a page is a range scan however many cases the agency holds
        Index("ix_cases_agency_queue", "agency_id", "urgency_rank", "ack_due_at", "id"),
        # the changes feed, in change order
        Index("ix_cases_agency_feed", "agency_id", "change_txid", "change_seq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new")
    # 0 = critical, 1 = high, 2 = medium, 3 = low: the queue sorts on it ascending, like the
    # deadline after it, so one plain index serves the whole ORDER BY
    urgency_rank: Mapped[int] = mapped_column(Integer, default=2)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    ack_due_at: Mapped[datetime | None] = mapped_column()
    action_due_at: Mapped[datetime | None] = mapped_column()
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    # Position in the changes feed: the writing transaction's id (PostgreSQL) and a sequence
    # number. A poll returns only changes of transactions older than every open one.
    change_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    agency: Mapped[Agency] = relationship(lazy="raise")


class Webhook(Base):
    """An agency's push endpoint (Standard Webhooks). Secrets are sealed at rest."""

    __tablename__ = "webhooks"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    # the secret before the last rotation, still signed with until it expires
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column()
    disabled_reason: Mapped[str | None] = mapped_column(String(255))


class OutboxEvent(Base):
    """An event to push, written in the same transaction as the change it announces."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "delivered_at", "dead", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the webhook-id
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column()
    dead: Mapped[bool] = mapped_column(Boolean, default=False)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(255))


class Escalation(Base):
    """One step up the ladder. Unique per report and step: the last line of defence against
    two schedulers escalating the same case twice."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("report_id", "step"),)

    id: Mapped[int] = mapped_column(
        BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"))
    step: Mapped[int] = mapped_column(Integer)
    from_agency: Mapped[str] = mapped_column(String(64))
    to_agency: Mapped[str] = mapped_column(String(64))
    escalated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeCounter(Base):
    """SQLite's stand-in for a sequence (one writer at a time there)."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEntry(Base):
    """An append-only record of a decision. Sealed into the hash chain by AuditSeal."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(
        BigId, primary_key=True, autoincrement=True
    )
    report_id: Mapped[str | None] = mapped_column(ForeignKey("reports.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Canonical JSON text, so the hash is recomputed from exactly what was stored.
    payload: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))


class AuditPending(Base):
    """Entries not yet sealed: the sealer's work list, so it never scans the whole trail."""

    __tablename__ = "audit_pending"

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), primary_key=True)


class AuditSeal(Base):
    """Position of an entry in the single chain, assigned in commit order after the fact."""

    __tablename__ = "audit_seals"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditHead(Base):
    """The chain's head, kept outside the entries so cutting off the newest ones shows."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    chain_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # in_flight (never committed) | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
