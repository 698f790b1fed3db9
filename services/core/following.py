"""Background followers of the ledger's global order (the projection and the Merkle log's sequencer).

A follower runs its ``advance`` step until it is caught up, then waits for the next append: a hint from
this process (``notify``), a PostgreSQL NOTIFY on the ledger's channel (sent by the library inside every
insert transaction), or the polling interval, whichever comes first. Any failure is logged with its cause
and the follower restarts with backoff, so it never stalls silently. Each step commits what it applied
together with its position, so a restart resumes exactly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from psycopg.sql import SQL, Identifier

from esledger.core.database import connect

logger = logging.getLogger("esledger.following")

Advance = Callable[[], int]
"""Apply the next batch of ledger events; how many there were (0: caught up)."""

Wait = Callable[[float], None]
"""Block until woken or the timeout (seconds) has passed."""


class Follower:
    """A supervised thread running ``advance``; ``listen`` (PostgreSQL URL and channel) adds NOTIFY wake-ups."""

    def __init__(
        self, name: str, advance: Advance, *, listen: tuple[str, str] | None = None, interval: float = 0.25
    ) -> None:
        self.name = name
        self.advance = advance
        self.listen = listen
        self.interval = interval
        self.restarts = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15) -> None:
        """Stop and wait for the thread: longer than a step can block (a lock wait), so storage is not closed
        under it."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.error("follower did not stop in time", extra={"follower": self.name})

    def notify(self) -> None:
        """A hint that the ledger has new events (appends in this process call it)."""
        self._wake.set()

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
            while not self._stop.is_set():
                if self.advance() == 0:
                    wait(self.interval)

    @contextmanager
    def _waiting(self) -> Iterator[Wait]:
        if self.listen is None:
            yield self._wait_in_process
            return
        url, channel = self.listen
        with connect(url, autocommit=True) as conn:
            conn.execute(SQL("LISTEN {}").format(Identifier(channel)))

            def wait(timeout: float) -> None:
                remaining = timeout
                while remaining > 0 and not self._wake.is_set():
                    for _ in conn.notifies(timeout=min(remaining, 0.05), stop_after=1):
                        self._wake.set()
                    remaining -= 0.05
                self._wake.clear()

            yield wait

    def _wait_in_process(self, timeout: float) -> None:
        self._wake.wait(timeout)
        self._wake.clear()
