"""Background followers of the ledger's global order, supervised so that a failure restarts them (with
backoff) instead of stalling them. Used by the projections and by the Merkle log's sequencer."""

from __future__ import annotations

import contextlib
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from services.availability import database_answers
from services.ledger.problems import Problem

log = logging.getLogger("esledger.following")

Step = Callable[[], int]
"""Process the next batch of ledger events; how many there were (0: caught up)."""


class Follower(ABC):
    """Runs in a background thread; ``notify`` hints that the ledger has new events."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name=type(self).__name__, daemon=True)
        self.restarts = 0
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._interrupt()
        self._thread.join(10)

    def notify(self) -> None:
        """Appends in this process call this; followers that learn of appends otherwise ignore it."""

    def _supervise(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self._follow()
                backoff = 0.1
            except Exception as exc:  # any failure: record it, wait, restart — never stall silently
                self.restarts += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s failed (%s); restarting in %.1fs", type(self).__name__, self.last_error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    @abstractmethod
    def _follow(self) -> None:
        """Follow until stopped (returns) or failed (raises)."""

    @abstractmethod
    def _interrupt(self) -> None:
        """Make a running ``_follow`` return soon."""


class PollingFollower(Follower):
    """Runs ``step`` until caught up, then waits for a notification or the polling interval."""

    def __init__(self, open_step: Callable[[], AbstractContextManager[Step]], interval: float = 0.25) -> None:
        super().__init__()
        self.open_step = open_step
        self.interval = interval
        self._wake = threading.Event()

    def notify(self) -> None:
        self._wake.set()

    def _interrupt(self) -> None:
        self._wake.set()

    def _follow(self) -> None:
        with self.open_step() as step:
            while not self._stop.is_set():
                if step() == 0:
                    self._wake.wait(self.interval)
                    self._wake.clear()


class Component:
    """A service part that owns storage handles (cached properties named in ``handles``, closed on close)
    and at most one follower. Starting opens the handles first, serially — PostgreSQL's CREATE TYPE is not
    safe against a concurrent creator — and a database that is down then is no reason not to start: requests
    answer 503 and the follower retries."""

    handles: tuple[str, ...] = ()
    follower: Follower | None = None
    retry_after_seconds: int = 5

    def start(self) -> None:
        with contextlib.suppress(Problem), self._storage():
            for name in self.handles:
                getattr(self, name)
        if self.follower is not None:
            self.follower.start()

    def close(self) -> None:
        if self.follower is not None:
            self.follower.stop()
        for name in self.handles:
            if name in self.__dict__:
                self.__dict__.pop(name).close()

    @contextmanager
    def _storage(self) -> Iterator[None]:
        with database_answers(self.retry_after_seconds):
            yield
