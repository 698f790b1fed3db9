"""The token bucket: bursts, refill on a fake clock, independent keys, Retry-After values, bounded memory, and
exact counts under concurrent use."""

from __future__ import annotations

import math
import threading

import pytest

from esledger.access.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_burst_then_wait(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_second=2, burst=5, clock=clock)
    assert [limiter.take("oidc:u-1") for _ in range(5)] == [None] * 5
    assert limiter.take("oidc:u-1") == pytest.approx(0.5)
    assert limiter.take("oidc:u-1") == pytest.approx(0.5)  # refused requests cost nothing


def test_refill_over_time(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_second=2, burst=3, clock=clock)
    for _ in range(3):
        assert limiter.take("k") is None
    clock.now += 0.25
    assert limiter.take("k") == pytest.approx(0.25)  # half a token back: another quarter second
    clock.now += 0.25
    assert limiter.take("k") is None
    assert limiter.take("k") is not None
    clock.now += 1.0
    assert [limiter.take("k") for _ in range(3)] == [None, None, 0.5]


def test_refill_stops_at_the_burst(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_second=10, burst=4, clock=clock)
    limiter.take("k")
    clock.now += 3600
    assert [limiter.take("k") for _ in range(5)].count(None) == 4


def test_keys_are_independent(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_second=1, burst=2, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, 1.0]
    assert [limiter.take("b") for _ in range(2)] == [None, None]
    assert limiter.take("a") == 1.0


@pytest.mark.parametrize(
    ("elapsed", "wait", "retry_after"),
    [(0.0, 10.0, 10), (4.0, 6.0, 6), (9.5, 0.5, 1), (9.99, 0.01, 1), (10.0, None, None)],
)
def test_retry_after(clock: FakeClock, elapsed: float, wait: float | None, retry_after: int | None) -> None:
    """One request per ten seconds: the wait counts down; the caller's Retry-After is its ceiling, at least 1."""
    limiter = RateLimiter(rate_per_second=0.1, burst=1, clock=clock)
    assert limiter.take("203.0.113.7") is None
    clock.now += elapsed
    got = limiter.take("203.0.113.7")
    assert got == (None if wait is None else pytest.approx(wait))
    assert (None if got is None else max(1, math.ceil(got))) == retry_after


def test_memory_is_bounded_when_keys_cycle(clock: FakeClock) -> None:
    """An attacker cycling client addresses, all at one instant: no more than max_keys are held."""
    limiter = RateLimiter(rate_per_second=0.01, burst=3, clock=clock, max_keys=100)
    for i in range(10_000):
        limiter.take(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
        assert len(limiter) <= 100
    assert len(limiter) == 100


def test_idle_full_buckets_are_forgotten(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_second=1, burst=3, clock=clock)
    for i in range(50):
        limiter.take(f"k{i}")
    assert len(limiter) == 50
    clock.now += 0.5
    limiter.take("other")
    assert len(limiter) == 51  # not yet refilled: still remembered
    clock.now += 1.0
    limiter.take("other")
    assert len(limiter) == 1  # refilled to the burst: the same as no bucket


def test_forgetting_at_the_cap_never_blocks(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_second=0.001, burst=1, clock=clock, max_keys=2)
    assert limiter.take("a") is None
    assert limiter.take("a") is not None
    limiter.take("b")
    limiter.take("c")  # over the cap: "a", the least recently used, is forgotten
    assert len(limiter) == 2
    assert limiter.take("a") is None


def test_a_recently_used_key_is_kept_at_the_cap(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_second=0.001, burst=1, clock=clock, max_keys=2)
    limiter.take("a")
    limiter.take("b")
    assert limiter.take("a") is not None  # "a" is now the most recently used
    limiter.take("c")  # forgets "b"
    assert limiter.take("a") is not None
    assert limiter.take("b") is None


def test_concurrent_takes_are_counted_exactly(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_second=1, burst=50, clock=clock)
    allowed: list[int] = []
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        allowed.append(sum(limiter.take("shared") is None for _ in range(100)))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 50


@pytest.mark.parametrize(("rate", "burst", "max_keys"), [(0, 1, 1), (-1, 1, 1), (1, 0, 1), (1, 1, 0)])
def test_nonsense_limits_are_refused(rate: float, burst: int, max_keys: int) -> None:
    with pytest.raises(ValueError, match="rate_per_second > 0"):
        RateLimiter(rate, burst, max_keys=max_keys)


def test_real_clock_by_default() -> None:
    limiter = RateLimiter(rate_per_second=1000, burst=1)
    assert limiter.take("k") is None
    wait = limiter.take("k")
    assert wait is None or 0 < wait <= 0.001
