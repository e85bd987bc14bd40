"""Webhook registration and the outbox: events are written in the changing transaction."""

import ipaddress
import json
import socket
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import InvalidField
from app.models import Agency, Case, OutboxEvent, Webhook, utcnow
from app.reports.confidential import keyring
from app.webhooks.signing import new_secret

EVENT_TYPES = ("case.assigned", "case.escalated", "case.withdrawn", "case.updated")
ROTATION_OVERLAP = timedelta(hours=24)


def _aad(agency_code: str) -> str:
    return f"webhook:{agency_code}"


def is_public_address(host: str) -> bool:
    """Every address the host resolves to is public (not private, loopback, link-local...)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    return bool(addresses) and all(a.is_global for a in addresses)


def check_url(url: str, settings: Settings) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidField("url", "must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise InvalidField("url", "must not carry credentials")
    if settings.environment == "production":
        if parts.scheme != "https":
            raise InvalidField("url", "must be https")
        if not is_public_address(parts.hostname):
            raise InvalidField("url", "must resolve to public addresses only")
    return url


def register(session: Session, *, agency: Agency, url: str, settings: Settings,
             now: datetime | None = None) -> str:
    """Create or replace the agency's endpoint; returns the new secret (shown once). On a
    replacement the old secret keeps signing for a day, so receivers can rotate."""
    now = now or utcnow()
    ring = keyring(settings.reporter_keys)
    secret = new_secret()
    sealed = ring.seal_bytes(secret.encode(), aad=_aad(agency.code))
    hook = session.get(Webhook, agency.id)
    if hook is None:
        session.add(Webhook(agency_id=agency.id, url=url, secret=sealed, created_at=now))
    else:
        if hook.disabled_at is None:
            hook.previous_secret = hook.secret
            hook.previous_expires_at = now + ROTATION_OVERLAP
        hook.url, hook.secret, hook.disabled_at, hook.disabled_reason = url, sealed, None, None
    session.flush()
    return secret


def live_secrets(hook: Webhook, agency_code: str, settings: Settings, now: datetime
                 ) -> list[str]:
    ring = keyring(settings.reporter_keys)
    out = [ring.open_bytes(hook.secret, aad=_aad(agency_code)).decode()]
    if hook.previous_secret is not None and hook.previous_expires_at and \
            hook.previous_expires_at > now:
        out.append(ring.open_bytes(hook.previous_secret, aad=_aad(agency_code)).decode())
    return out


def remove(session: Session, *, agency: Agency) -> bool:
    hook = session.get(Webhook, agency.id)
    if hook is None:
        return False
    session.delete(hook)
    session.flush()
    return True


def emit(session: Session, cases: Iterable[Case], event_type: str,
         now: datetime | None = None, hooked: dict[int, str] | None = None) -> int:
    """Queue `event_type` for every case whose agency has a live endpoint. Thin payloads:
    the agency fetches the details with its key."""
    cases = list(cases)
    if not cases:
        return 0
    now = now or utcnow()
    if hooked is None:
        hooked = dict(session.execute(
            select(Agency.id, Agency.code).join(Webhook, Webhook.agency_id == Agency.id)
            .where(Agency.id.in_({c.agency_id for c in cases}), Webhook.disabled_at.is_(None))
        ).all())
    n = 0
    for case in cases:
        code = hooked.get(case.agency_id)
        if code is None:
            continue
        event_id = "msg_" + uuid.uuid4().hex
        payload = {"type": event_type, "id": event_id, "timestamp": now.isoformat(),
                   "data": {"case_id": case.report_id, "agency_code": code}}
        session.add(OutboxEvent(id=event_id, agency_id=case.agency_id, event_type=event_type,
                                payload=json.dumps(payload, separators=(",", ":")),
                                created_at=now, next_attempt_at=now))
        n += 1
    if n:
        session.flush()
    return n
