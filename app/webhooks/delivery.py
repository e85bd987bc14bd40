"""Delivering the outbox: claimed with a lease (no transaction held open across HTTP), signed,
retried with exponential backoff and jitter, disabled on 410."""

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.models import Agency, OutboxEvent, Webhook
from app.observability import WEBHOOKS
from app.webhooks.service import is_public_address, live_secrets
from app.webhooks.signing import signature_header

log = logging.getLogger("app.webhooks")
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 15  # about two days of retries with the backoff below
BASE_DELAY = 10.0
MAX_DELAY = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class Delivery:
    event_id: str
    agency_id: int
    url: str
    body: str
    secrets: list[str]
    attempts: int


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential with full jitter in [0.5, 1.5) of the nominal delay."""
    nominal = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return timedelta(seconds=nominal * (0.5 + (rng or random).random()))


def claim_due(factory: sessionmaker[Session], *, now: datetime, settings: Settings,
              limit: int = 50) -> list[Delivery]:
    with factory() as session, session.begin():
        rows = session.execute(
            select(OutboxEvent, Webhook, Agency.code)
            .join(Webhook, Webhook.agency_id == OutboxEvent.agency_id)
            .join(Agency, Agency.id == OutboxEvent.agency_id)
            .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.dead.is_(False),
                   OutboxEvent.next_attempt_at <= now, Webhook.disabled_at.is_(None),
                   or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until < now))
            .order_by(OutboxEvent.next_attempt_at).limit(limit)
            .with_for_update(skip_locked=True, of=OutboxEvent)).all()
        out = []
        for event, hook, code in rows:
            event.locked_until = now + LEASE
            out.append(Delivery(event.id, event.agency_id, hook.url, event.payload,
                                live_secrets(hook, code, settings, now), event.attempts))
        return out


def send(delivery: Delivery, client: httpx.Client, *, now: datetime, settings: Settings
         ) -> tuple[int | None, str | None]:
    """POST one event. Returns (HTTP status or None, error text or None)."""
    host = urlsplit(delivery.url).hostname or ""
    if settings.environment == "production" and not is_public_address(host):
        return None, "endpoint resolves to a non-public address"
    ts = int(now.timestamp())
    headers = {"content-type": "application/json", "webhook-id": delivery.event_id,
               "webhook-timestamp": str(ts),
               "webhook-signature": signature_header(delivery.secrets, msg_id=delivery.event_id,
                                                     timestamp=ts, body=delivery.body)}
    try:
        r = client.post(delivery.url, content=delivery.body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    return r.status_code, None


def record(factory: sessionmaker[Session], delivery: Delivery, *, status: int | None,
           error: str | None, now: datetime) -> str:
    """Store the outcome; returns "delivered", "retry", "dead" or "disabled"."""
    with factory() as session, session.begin():
        event = session.get(OutboxEvent, delivery.event_id)
        if event is None:
            return "dead"
        event.attempts += 1
        event.last_status, event.last_error, event.locked_until = status, error, None
        if status is not None and 200 <= status < 300:
            event.delivered_at = now
            outcome = "delivered"
        elif status == 410:
            event.dead = True
            session.execute(update(Webhook).where(Webhook.agency_id == delivery.agency_id)
                            .values(disabled_at=now, disabled_reason="410 Gone"))
            outcome = "disabled"
        elif event.attempts >= MAX_ATTEMPTS:
            event.dead = True
            outcome = "dead"
        else:
            event.next_attempt_at = now + backoff(event.attempts)
            outcome = "retry"
    WEBHOOKS.labels(outcome).inc()
    return outcome


def deliver_due(factory: sessionmaker[Session], *, now: datetime, settings: Settings,
                client: httpx.Client | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    own = client is None
    client = client or httpx.Client(timeout=10.0, follow_redirects=False)
    try:
        for delivery in claim_due(factory, now=now, settings=settings):
            status, error = send(delivery, client, now=now, settings=settings)
            outcome = record(factory, delivery, status=status, error=error, now=now)
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome != "delivered":
                log.info("webhook %s: %s", outcome, json.dumps(
                    {"event": delivery.event_id, "status": status, "error": error}))
    finally:
        if own:
            client.close()
    return counts
