"""Rate limits: a token bucket per key — a principal id for its requests, a client address for failed
sign-ins — so that one caller cannot starve the others and credentials cannot be guessed at speed.

Memory is bounded whatever the keys: a bucket that has refilled completely is the same as no bucket, so idle
full buckets are dropped as requests arrive, and past ``max_keys`` the least recently used key is forgotten.
Forgetting only ever gives that key a fresh burst (an attacker cycling addresses gets one per address anyway);
it never blocks anybody.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``rate_per_second`` requests per key on average, up to ``burst`` at once; thread-safe."""

    def __init__(
        self,
        rate_per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if rate_per_second <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("a rate limit needs rate_per_second > 0, burst >= 1 and max_keys >= 1")
        self.rate_per_second = rate_per_second
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        """Least recently used first."""

    def take(self, key: str) -> float | None:
        """Spends one request of ``key``: None when allowed, else the seconds until one is (for
        ``Retry-After``, rounded up to a whole second of at least 1)."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.pop(key, None)
            tokens = self.burst if bucket is None else self._level(bucket, now)
            self._forget_idle(now)
            wait = None if tokens >= 1 else (1 - tokens) / self.rate_per_second
            self._buckets[key] = _Bucket(tokens - 1 if wait is None else tokens, now)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        """How many keys are held (the memory bound's measure)."""
        with self._lock:
            return len(self._buckets)

    def _level(self, bucket: _Bucket, now: float) -> float:
        return min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate_per_second)

    def _forget_idle(self, now: float) -> None:
        """Drops full buckets from the least recently used end: amortised O(1) per request."""
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if self._level(oldest, now) < self.burst:
                return
            self._buckets.popitem(last=False)
