"""The scheduler: escalation, overdue flags, webhook delivery, audit sealing, housekeeping.

Runs in the `serve` process by default (a thread) and as `hotline-intake worker`. The clock is
passed in, so tests drive it in milliseconds.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import audit, idempotency
from app.audit import sealer
from app.cases import changes
from app.cases.service import OPEN_FOR_ACTION
from app.config import Settings
from app.models import Case, utcnow
from app.observability import OVERDUE
from app.scheduler.escalation import escalate_due
from app.webhooks.delivery import deliver_due

log = logging.getLogger("app.scheduler")


def flag_overdue(session: Session, *, now: datetime, limit: int = 500) -> int:
    cases = list(session.scalars(
        select(Case).where(Case.overdue.is_(False), Case.status.in_(OPEN_FOR_ACTION),
                           Case.action_due_at < now)
        .order_by(Case.id).limit(limit).with_for_update(skip_locked=True)))
    for case in cases:
        case.overdue = True
    changes.touch(session, cases, "case.updated")
    OVERDUE.inc(len(cases))
    return len(cases)


def _drain(factory: sessionmaker[Session], batch: Callable[[Session], int]) -> int:
    """Run `batch` in fresh transactions until it finds nothing more to do."""
    total = 0
    while n := _one(factory, batch):
        total += n
    return total


def _one(factory: sessionmaker[Session], batch: Callable[[Session], int]) -> int:
    with factory() as session, session.begin():
        return batch(session)


def run_once(factory: sessionmaker[Session], settings: Settings,
             now: datetime | None = None) -> dict[str, int]:
    """One pass of every duty, each batch its own short transaction."""
    now = now or utcnow()
    done = {
        "escalated": _drain(factory, lambda s: escalate_due(s, now=now, settings=settings)),
        "overdue": _drain(factory, lambda s: flag_overdue(s, now=now)),
    }
    for outcome, n in deliver_due(factory, now=now, settings=settings).items():
        done[f"webhook_{outcome}"] = n
    with factory() as session, session.begin():
        done["sealed"] = audit.seal_pending(session, checkpoint_path=settings.audit_checkpoint_path)
    with factory() as session, session.begin():
        done["idempotency_purged"] = idempotency.purge_expired(session, now=now)
    return done


class Scheduler:
    def __init__(self, factory: sessionmaker[Session], settings: Settings,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.factory, self.settings, self.clock = factory, settings, clock
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def loop(self) -> None:
        while not self.stop.is_set():
            try:
                done = run_once(self.factory, self.settings, self.clock())
                if any(done.values()):
                    log.info("scheduler pass: %s", done)
            except Exception as exc:  # a bad pass must not kill the scheduler; next one retries
                log.error("scheduler pass failed: %s", type(exc).__name__)
            self.stop.wait(self.settings.escalation_interval)

    def seal_loop(self) -> None:
        sealer.run(self.factory, interval=self.settings.audit_seal_interval, stop=self.stop,
                   checkpoint_path=self.settings.audit_checkpoint_path)

    def start(self) -> None:
        self.threads = [threading.Thread(target=self.loop, name="scheduler", daemon=True),
                        threading.Thread(target=self.seal_loop, name="sealer", daemon=True)]
        for thread in self.threads:
            thread.start()

    def shutdown(self) -> None:
        self.stop.set()
        sealer.notify()
        for thread in self.threads:
            thread.join(timeout=30)
