"""Per-key token buckets: a flood from one key (say the app channel) meets 429 with
Retry-After and cannot starve another (the call centre). In-memory, per process: with several
replicas each enforces its own share."""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True, slots=True)
class Limit:
    rate: float  # tokens per second
    burst: float  # bucket size


@cache
def parse_limits(raw: str) -> dict[str, Limit]:
    """`callcentre=50:200,app=20:100`: role=rate per second:burst."""
    out: dict[str, Limit] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        role, sep, spec = part.partition("=")
        rate, _, burst = spec.partition(":")
        try:
            limit = Limit(float(rate), float(burst or rate))
        except ValueError:
            raise ValueError(f"bad rate limit {part!r}: expected role=rate:burst") from None
        if not sep or limit.rate <= 0 or limit.burst < 1:
            raise ValueError(f"bad rate limit {part!r}: expected role=rate:burst")
        out[role.strip()] = limit
    return out


class Buckets:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def take(self, key: str, limit: Limit) -> float:
        """Take one token; returns 0 when allowed, else the seconds until one is free."""
        now = self._clock()
        with self._lock:
            tokens, last = self._state.get(key, (limit.burst, now))
            tokens = min(limit.burst, tokens + (now - last) * limit.rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1 - tokens) / limit.rate


BUCKETS = Buckets()


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
