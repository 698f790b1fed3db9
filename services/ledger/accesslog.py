"""The access log: every read that shows its reader a confidential value is itself an act in the ledger —
hash-chained and in the Merkle log like everything else — so who learned a complainant's identity, when,
from which case and record, through which endpoint and for what stated purpose can be proven, and cannot be
quietly removed.

One case per Beijing day, ``ACCESS-YYYY-MM-DD`` (kind ``access_log``, internal: never among the supervision
cases), opened by ``access.log_opened`` on the day's first such read; each read appends one
``access.confidential_revealed`` recorded by the reader, before the values are answered (a read that cannot
be logged answers nothing). It names places, never the values. An index aggregate, saved with each day's
opening act, lists the days so the log can be queried without reading the whole ledger.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from esledger.core.availability import Availability
from esledger.core.errors import CaseExists
from esledger.core.instants import Clock, format_instant
from esledger.core.storage import Handle
from esledger.domain.acts import act_of
from esledger.domain.calendar import BEIJING, beijing_date
from esledger.ledger.appender import Also
from esledger.ledger.catalog import ACCESS_LOG_PREFIX, Catalog
from esledger.ledger.index import index_id, listing, names
from esledger.ledger.store import LedgerStore
from esledger.ledger.values import ValueRef

SOURCE = "urn:esledger:access-log"
OPENED = "access.log_opened"
REVEALED = "access.confidential_revealed"
NOT_STATED = "(not stated)"
DAYS = index_id("access-log")
"""The days that have an access log."""

Record = Callable[[dict[str, Any], str, Also | None], object]
"""Records an internal act (the event, who is recorded as recording it, what to save with it)."""


@dataclass(frozen=True)
class Disclosure:
    """Where a read came from and why: the endpoint, and the purpose its reader stated (``X-Purpose``)."""

    endpoint: str
    purpose: str = NOT_STATED


def log_case_id(day: str) -> str:
    """The access log case of a Beijing day (YYYY-MM-DD)."""
    return f"{ACCESS_LOG_PREFIX}{day}"


class AccessLog:
    def __init__(
        self, store: Handle[LedgerStore], availability: Availability, catalog: Catalog, clock: Clock, record: Record
    ) -> None:
        self.store = store
        self.availability = availability
        self.catalog = catalog
        self.clock = clock
        self._record = record

    def record(self, reader: str, revealed: Sequence[ValueRef], disclosure: Disclosure) -> None:
        """Log one read that showed ``reader`` these values (opening the day's log if it is the first)."""
        day = beijing_date(self.clock()).isoformat()
        subject = log_case_id(day)
        with self.availability.guard():
            opened = self.store.get().case(subject) is not None
        if not opened:
            opening = self.catalog.event(OPENED, source=SOURCE, subject=subject, data={"date": day}, time=self.clock())
            with contextlib.suppress(CaseExists):  # another read opened it first
                self._record(opening, reader, listing(DAYS, day))
        data = {
            "revealed": [
                {"case_id": r.case_id, "case_version": r.case_version, "pointer": r.pointer} for r in revealed
            ],
            "endpoint": disclosure.endpoint,
            "purpose": disclosure.purpose,
        }
        self._record(
            self.catalog.event(REVEALED, source=SOURCE, subject=subject, data=data, time=self.clock()), reader, None
        )

    def entries(
        self,
        case_id: str | None = None,
        principal: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The logged reads, oldest first: those that showed values of ``case_id``, by ``principal``, recorded
        strictly after ``after`` and strictly before ``before``."""
        with self.availability.guard():
            store = self.store.get()
            days = sorted(names(store, DAYS))
            records = [r for day in days if _overlaps(day, after, before) for r in store.timeline(log_case_id(day))]
        out = []
        for r in records:
            data = r.event["data"]
            if (
                act_of(r.event) != REVEALED
                or (principal is not None and r.recorded_by != principal)
                or (after is not None and r.recorded_at <= after)
                or (before is not None and r.recorded_at >= before)
                or (case_id is not None and all(item["case_id"] != case_id for item in data["revealed"]))
            ):
                continue
            out.append(
                {
                    "recorded_at": format_instant(r.recorded_at),
                    "recorded_by": r.recorded_by,
                    "revealed": data["revealed"],
                    "endpoint": data["endpoint"],
                    "purpose": data["purpose"],
                    "record": {"case_id": r.case_id, "case_version": r.case_version, "position": r.position},
                }
            )
        return out


def _overlaps(day: str, after: datetime | None, before: datetime | None) -> bool:
    """Whether the Beijing day can hold a read recorded in (after, before)."""
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), BEIJING)
    return (after is None or after < start + timedelta(days=1)) and (before is None or before > start)
