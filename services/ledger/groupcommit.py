"""Group commit: requests that arrive while a commit is in flight are committed together in the next one.

No thread of its own: the request at the front of the queue leads. It takes every request queued behind it
(up to a weight limit), runs them as one group in its own thread, hands each request its own result, and
wakes the next request in the queue, which leads the next group. So one group is in flight at a time, a request
alone is committed at once with no hand-over between threads, and under load each commit carries everything
that arrived during the previous one: commits per second stay what the database allows, and requests per
commit grow with the load instead of requests queueing for the lock one transaction each.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Run = Callable[[Sequence[T]], Sequence[R | BaseException]]
"""Runs a group: one result per request, in order; an exception in the list is that request's alone."""


class _Waiting(Generic[T, R]):
    __slots__ = ("done", "error", "request", "result", "turn")

    def __init__(self, request: T) -> None:
        self.request = request
        self.turn = threading.Event()
        """Set when the request's group is done, or when the request is to lead the next group."""
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    def __init__(self, run: Run[T, R], weight: Callable[[T], int], limit: int) -> None:
        """``run`` commits a group; a group weighs at most ``limit`` (``weight`` of each request), except a
        request heavier than that alone."""
        self._run = run
        self._weight = weight
        self._limit = limit
        self._lock = threading.Lock()
        self._queue: deque[_Waiting[T, R]] = deque()
        self.observers: list[Callable[[Sequence[int]], None]] = []
        """Told each committed group's request weights (metrics: group and batch sizes)."""

    def submit(self, request: T) -> R:
        """The request's result once its group is committed (its own exception raised, or the group's)."""
        waiting: _Waiting[T, R] = _Waiting(request)
        with self._lock:
            self._queue.append(waiting)
            leads = len(self._queue) == 1
        if not leads:
            waiting.turn.wait()
        if not waiting.done:
            self._lead()
        if waiting.error is not None:
            raise waiting.error
        return waiting.result  # type: ignore[return-value]  # R itself may include None

    @property
    def queued(self) -> int:
        """Requests queued: the group in flight and those waiting for the next."""
        with self._lock:
            return len(self._queue)

    def _lead(self) -> None:
        """Run the group at the front of the queue (this thread's request first), then wake its requests and
        the next leader."""
        with self._lock:
            group: list[_Waiting[T, R]] = []
            weight = 0
            for waiting in self._queue:
                weight += self._weight(waiting.request)
                if group and weight > self._limit:
                    break
                group.append(waiting)
        try:
            results = self._run([w.request for w in group])
            weights = [self._weight(w.request) for w in group]
            for observe in self.observers:
                observe(weights)
            for waiting, result in zip(group, results, strict=True):
                if isinstance(result, BaseException):
                    waiting.error = result
                else:
                    waiting.result = result
        except BaseException as exc:  # noqa: BLE001 - the whole group failed (the database, a bug): each request raises it
            for waiting in group:
                waiting.error = exc
        finally:
            with self._lock:
                for _ in group:
                    self._queue.popleft()
                following = self._queue[0] if self._queue else None
            for waiting in group:
                waiting.done = True
                waiting.turn.set()
            if following is not None:
                following.turn.set()
