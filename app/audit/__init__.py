"""The tamper-evident audit trail."""

from app.audit.service import append, entries_for_report, seal_pending, verify

__all__ = ["append", "entries_for_report", "seal_pending", "verify"]
