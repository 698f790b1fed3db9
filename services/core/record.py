"""The stored record: what the ledger's reads return and what followers, exports and reviews consume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from esledger.core.instants import format_instant


@dataclass(frozen=True)
class LedgerRecord:
    """One stored case entry: the act's CloudEvent as accepted, where the ledger put it, who recorded it
    and when, and its place in the case's hash chain."""

    case_id: str
    case_kind: str
    case_version: int
    position: int
    recorded_at: datetime
    recorded_by: str
    prev_hash: str
    hash: str
    event: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "case_kind": self.case_kind,
            "case_version": self.case_version,
            "position": self.position,
            "recorded_at": format_instant(self.recorded_at),
            "recorded_by": self.recorded_by,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "event": self.event,
        }
