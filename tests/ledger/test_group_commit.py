"""Group commit: requests that arrive while a commit is in flight are committed together, each answered with
its own outcome; a request refused inside a group (an unknown case in a batch, an idempotency conflict, a
failed If-Match) leaves nothing and does not fail the others."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from esledger.access.principals import Grant, Principal
from esledger.bootstrap import bootstrap
from esledger.core.errors import IdempotencyConflict, LedgerError, PreconditionFailed, UnknownCase
from esledger.ledger.groupcommit import GroupCommit
from esledger.settings import Settings
from tests.conftest import FakeClock
from tests.helpers import AFTER_EXAMPLES, accepted, received


def _wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the requests never queued"
        time.sleep(0.001)


def _queued(groups: GroupCommit[Any, Any], n: int) -> None:
    """Until ``n`` requests are queued (or more: once the last one queues, the held group may go on)."""
    _wait_until(lambda: groups.queued >= n)


def _held_first_group(groups: GroupCommit[Any, Any], queued: int) -> list[int]:
    """Make the first group wait, inside its commit, until ``queued`` requests are queued in all; the sizes
    of the groups committed, in order."""
    run, sizes = groups._run, []

    def held(requests: Sequence[Any]) -> Sequence[Any]:
        if not sizes:
            _wait_until(lambda: groups.queued >= queued)
        sizes.append(len(requests))
        return run(requests)

    groups._run = held
    return sizes


def test_requests_arriving_during_a_commit_join_the_next_group_and_get_their_own_answers() -> None:
    def run(requests: Sequence[int]) -> list[int | BaseException]:
        return [ValueError(f"odd {r}") if r % 2 else r * 10 for r in requests]

    groups: GroupCommit[int, int] = GroupCommit(run, lambda r: 1, limit=100)
    sizes = _held_first_group(groups, queued=6)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(groups.submit, 0)
        _queued(groups, 1)
        rest = {n: pool.submit(groups.submit, n) for n in range(1, 6)}
        assert first.result(timeout=10) == 0
        for n, future in rest.items():
            if n % 2:
                with pytest.raises(ValueError, match=f"odd {n}"):
                    future.result(timeout=10)
            else:
                assert future.result(timeout=10) == n * 10
    assert sizes == [1, 5]


def test_a_group_that_fails_as_a_whole_fails_each_of_its_requests_and_the_next_group_goes_on() -> None:
    calls: list[list[int]] = []

    def run(requests: Sequence[int]) -> list[int | BaseException]:
        calls.append(list(requests))
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return list(requests)

    groups: GroupCommit[int, int] = GroupCommit(run, lambda r: 1, limit=100)
    _held_first_group(groups, queued=4)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(groups.submit, 1)
        _queued(groups, 1)
        failing = [pool.submit(groups.submit, n) for n in (2, 3, 4)]
        assert first.result(timeout=10) == 1
        for future in failing:
            with pytest.raises(ConnectionError):
                future.result(timeout=10)
    assert groups.submit(5) == 5 and groups.queued == 0


def test_a_group_weighs_at_most_its_limit_and_a_heavier_request_goes_alone() -> None:
    groups: GroupCommit[int, int] = GroupCommit(lambda rs: list(rs), lambda r: r, limit=10)
    sizes = _held_first_group(groups, queued=5)
    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(groups.submit, 1)
        _queued(groups, 1)
        others = []
        for weight in (4, 4, 4, 30):  # queued in this order: 4+4 fit, the third 4 starts a group, 30 alone
            others.append(pool.submit(groups.submit, weight))
            if len(others) < 4:  # not after the last: it lets the held group go on, and the queue may drain at once
                _queued(groups, 1 + len(others))
        assert [f.result(timeout=10) for f in [first, *others]] == [1, 4, 4, 4, 30]
    assert sizes == [1, 2, 1, 1]


def test_refused_requests_inside_a_group_leave_nothing_and_the_others_are_committed(
    settings: Settings, clock: FakeClock
) -> None:
    """The first group holds a lone request while six more queue; the six are committed as one group in which
    three are refused, each with its own error."""
    clock.set(AFTER_EXAMPLES)
    system = bootstrap(settings, role="ledger", clock=clock, follow=False)
    ledger = system.ledger
    assert ledger is not None
    writer = system.access.scope(Principal("key:tester", "tester", (Grant("source", source="*"),)))
    try:
        ledger.post([received("GR-G-0")], writer, batch=False)
        sizes = _held_first_group(ledger.appender.groups, queued=7)
        requests: dict[str, tuple[list[dict[str, Any]], bool, int | None]] = {
            "blocker": ([received("GR-G-B")], False, None),
            "alone": ([received("GR-G-1")], False, None),
            "batch with an unknown case": ([received("GR-G-2"), accepted("GR-G-2"), accepted("GR-NONE")], True, None),
            "first of a (source, id)": ([received("GR-G-3", id="g-same")], False, None),
            "same (source, id), other content": ([received("GR-G-4", id="g-same")], False, None),
            "stale If-Match": ([accepted("GR-G-0", id="g-stale")], False, 7),
            "right If-Match": ([accepted("GR-G-0", id="g-right")], False, 1),
        }
        answers: dict[str, Any] = {}

        def post(name: str) -> None:
            events, batch, expected = requests[name]
            try:
                answers[name] = ledger.post(events, writer, batch=batch, expected_version=expected)
            except LedgerError as exc:
                answers[name] = exc

        with ThreadPoolExecutor(len(requests)) as pool:
            done = [pool.submit(post, "blocker")]
            _queued(ledger.appender.groups, 1)
            for name in list(requests)[1:4]:
                done.append(pool.submit(post, name))
                _queued(ledger.appender.groups, len(done))
            done += [pool.submit(post, name) for name in list(requests)[4:]]
            for future in done:
                future.result(timeout=30)
    finally:
        system.close()

    assert sizes == [1, 6]
    assert isinstance(answers["batch with an unknown case"], UnknownCase)
    assert isinstance(answers["same (source, id), other content"], IdempotencyConflict)
    assert isinstance(answers["stale If-Match"], PreconditionFailed)
    created = {name: [o.record for o in a] for name, a in answers.items() if isinstance(a, list)}
    assert set(created) == {"blocker", "alone", "first of a (source, id)", "right If-Match"}
    assert all(o.created for a in answers.values() if isinstance(a, list) for o in a)
    assert created["right If-Match"][0].case_version == 2

    check = bootstrap(settings, role="ledger", clock=clock, follow=False)
    try:
        store = check.storage.store.get()
        assert store.case("GR-G-2") is None and store.case("GR-G-4") is None
        assert [r.event["id"] for r in store.timeline("GR-G-0")][1:] == ["g-right"]
        # the group's accepted requests went in one transaction: their positions are consecutive entries
        group = sorted(
            r.position for name in ("alone", "first of a (source, id)", "right If-Match") for r in created[name]
        )
        feed = [r.position for r in store.records() if group[0] <= r.position <= group[-1]]
        assert feed == group
    finally:
        check.close()


def test_a_request_acknowledged_by_a_group_is_stored_even_when_posted_again_at_once(
    settings: Settings, clock: FakeClock
) -> None:
    """The same event posted by eight threads at once, in one group: stored once, seven answered as
    duplicates with the same record."""
    clock.set(AFTER_EXAMPLES)
    system = bootstrap(settings, role="ledger", clock=clock, follow=False)
    ledger = system.ledger
    assert ledger is not None
    writer = system.access.scope(Principal("key:tester", "tester", (Grant("source", source="*"),)))
    event = received("GR-G-TWICE", id="g-twice")
    start = threading.Barrier(8)

    def post() -> Any:
        start.wait()
        [outcome] = ledger.post([event], writer, batch=False)
        return outcome

    try:
        with ThreadPoolExecutor(8) as pool:
            outcomes = [f.result(timeout=30) for f in [pool.submit(post) for _ in range(8)]]
        assert sum(o.created for o in outcomes) == 1
        assert {(o.record.case_id, o.record.case_version, o.record.position) for o in outcomes} == {
            ("GR-G-TWICE", 1, outcomes[0].record.position)
        }
        assert len(system.storage.store.get().timeline("GR-G-TWICE")) == 1
    finally:
        system.close()


def test_waiting_for_a_group_in_flight_is_not_waiting_for_the_database(settings: Settings, clock: FakeClock) -> None:
    """A request queued behind a slow group for longer than the connection budget (the time to a 503 when
    the database is down) is committed, not answered 503: only waiting for a connection counts."""
    clock.set(AFTER_EXAMPLES)
    budget = 0.3
    system = bootstrap(settings.model_copy(update={"unavailable_after_seconds": budget}), role="ledger", clock=clock)
    ledger = system.ledger
    assert ledger is not None
    writer = system.access.scope(Principal("key:tester", "tester", (Grant("source", source="*"),)))
    groups = ledger.appender.groups
    run = groups._run

    def slow(requests: Sequence[Any]) -> Sequence[Any]:
        if len(requests) == 1 and requests[0].items[0].event["subject"] == "GR-SLOW":
            _wait_until(lambda: groups.queued >= 2)
            time.sleep(3 * budget)
        return run(requests)

    groups._run = slow
    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(ledger.post, [received("GR-SLOW")], writer, batch=False)
            _queued(groups, 1)
            second = pool.submit(ledger.post, [received("GR-BEHIND")], writer, batch=False)
            assert first.result(timeout=30)[0].created
            assert second.result(timeout=30)[0].created
    finally:
        system.close()
