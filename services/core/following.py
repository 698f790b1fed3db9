"""Background followers of the ledger's global order (the projection and the Merkle log's sequencer).

A follower runs its ``advance`` step until it is caught up, then waits for the next append: a hint from
this process (``notify``), a PostgreSQL NOTIFY on the ledger's channel (sent by the library inside every
insert transaction, so one per committed append, whichever process wrote it), or the polling interval,
whichever comes first. Wake-ups are coalesced: once woken, and after a step during which more appends
arrived, it lets them gather for up to ``gather`` seconds (or until ``gather_max`` wake-ups) before the next
step, so a burst costs one step instead of one per append; a step that applied something with no append
arriving meanwhile (a backlog) is followed at once by the next. Any failure is logged with its cause and the
follower restarts with backoff, so it never stalls silently. Each step commits what it applied together with
its position, so a restart resumes exactly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from psycopg.sql import SQL, Identifier

from esledger.core.database import connect

logger = logging.getLogger("esledger.following")

Advance = Callable[[], int]
"""Apply the next batch of ledger events; how many there were (0: caught up)."""

Wait = Callable[[float, int], int]
"""Block until ``enough`` wake-ups have arrived or the timeout (seconds) has passed; how many arrived."""

SLICE = 0.05
"""Longest a NOTIFY wait blocks before it looks at this process's hints and at ``stop``."""


class Follower:
    """A supervised thread running ``advance``; ``listen`` (PostgreSQL URL and channel) adds NOTIFY wake-ups."""

    def __init__(
        self,
        name: str,
        advance: Advance,
        *,
        listen: tuple[str, str] | None = None,
        interval: float = 0.25,
        gather: float = 0.0,
        gather_max: int = 1000,
    ) -> None:
        self.name = name
        self.advance = advance
        self.listen = listen
        self.interval = interval
        self.gather = gather
        self.gather_max = gather_max
        self.restarts = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._hints = 0
        self._hinted = threading.Condition()
        self._thread = threading.Thread(target=self._supervise, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15) -> None:
        """Stop and wait for the thread: longer than a step can block (a lock wait), so storage is not closed
        under it."""
        self._stop.set()
        with self._hinted:
            self._hinted.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.error("follower did not stop in time", extra={"follower": self.name})

    def notify(self) -> None:
        """A hint that the ledger has new events (appends in this process call it)."""
        with self._hinted:
            self._hints += 1
            self._hinted.notify_all()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _supervise(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self._follow()
                backoff = 0.1
            except Exception as exc:  # any failure: record it, log it, wait, restart; never stall silently
                self.restarts += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                logger.warning(
                    "follower failed; restarting",
                    exc_info=exc,
                    extra={"follower": self.name, "cause": self.last_error, "backoff_s": backoff},
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _follow(self) -> None:
        with self._waiting() as wait:
            woken = 0
            while not self._stop.is_set():
                if woken and self.gather > 0 and woken < self.gather_max:
                    wait(self.gather, self.gather_max - woken)  # appends are arriving: let the burst gather
                # applied something: appends during the step gather first, none means a backlog (step at once);
                # caught up: wait until the next append, or the polling interval
                woken = wait(0, 1) if self.advance() else wait(self.interval, 1)

    def _take_hints(self, timeout: float, enough: int) -> int:
        """This process's hints, waiting up to ``timeout`` for ``enough`` of them."""
        with self._hinted:
            self._hinted.wait_for(lambda: self._hints >= enough or self._stop.is_set(), timeout)
            taken, self._hints = self._hints, 0
        return taken

    @contextmanager
    def _waiting(self) -> Iterator[Wait]:
        if self.listen is None:
            yield self._take_hints
            return
        url, channel = self.listen
        with connect(url, autocommit=True) as conn:
            conn.execute(SQL("LISTEN {}").format(Identifier(channel)))

            def wait(timeout: float, enough: int) -> int:
                deadline = time.monotonic() + timeout
                seen = 0
                while not self._stop.is_set():
                    seen += self._take_hints(0, 1)
                    remaining = deadline - time.monotonic()
                    if seen < enough:
                        slice_ = max(0.0, min(remaining, SLICE))
                        seen += sum(1 for _ in conn.notifies(timeout=slice_, stop_after=enough - seen))
                    if seen >= enough or remaining <= 0:
                        break
                return seen

            yield wait
