"""The hash chain (pure): how an entry's content and its place in the chain are hashed."""

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(*, report_id: str | None, action: str, actor: str, occurred_at: datetime,
                 payload: str) -> str:
    material = canonical_json({
        "report_id": report_id, "action": action, "actor": actor,
        "occurred_at": occurred_at.isoformat(timespec="microseconds"), "payload": payload,
    })
    return hashlib.sha256(material.encode()).hexdigest()


def link_hash(*, prev_hash: str, seq: int, entry_id: int, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}|{seq}|{entry_id}|{content}".encode()).hexdigest()
