"""Sealing off the request path: requests notify(), a background loop seals in batches.

Under load one sealing transaction links many entries, instead of one per request. The loop
runs in whichever process runs the scheduler (`serve` by default, or `worker`); entries written
by other processes are sealed on its next tick (AUDIT_SEAL_INTERVAL)."""

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from app.audit.service import seal_pending

log = logging.getLogger("app.audit")
_wake = threading.Event()


def notify() -> None:
    _wake.set()


def seal_once(factory: sessionmaker[Session], checkpoint_path: str | None) -> int:
    with factory() as session, session.begin():
        return seal_pending(session, checkpoint_path=checkpoint_path)


def run(factory: sessionmaker[Session], *, interval: float, stop: threading.Event,
        checkpoint_path: str | None) -> None:
    while not stop.is_set():
        _wake.wait(interval)
        _wake.clear()
        if stop.is_set():
            return
        try:
            seal_once(factory, checkpoint_path)
        except Exception as exc:  # the next tick retries; the entries stay pending meanwhile
            log.warning("audit sealing deferred: %s", type(exc).__name__)
