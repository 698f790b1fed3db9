"""The stored record: what the ledger's reads return and what followers, exports and reviews consume."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from esledger.core.chain import RECORD_V1
from esledger.core.instants import format_instant


@dataclass(frozen=True)
class LedgerRecord:
    """One stored case entry: the act's CloudEvent as stored, where the ledger put it, who recorded it and
    when, and its place in the case's hash chain."""

    case_id: str
    case_kind: str
    case_version: int
    position: int
    recorded_at: datetime
    recorded_by: str
    prev_hash: str
    hash: str
    event: dict[str, Any]
    record_format: str = RECORD_V1
    confidential: Mapping[str, Any] | None = None
    """For a reader who may see them: the sealed event's confidential values, by pointer, beside the record
    (never part of what is hashed); None for everyone else."""

    def to_json(self) -> dict[str, Any]:
        """The record as stored (``zfjd-record/1`` records without a ``format`` member, exactly as they were
        always written), with ``confidential`` only when values are shown."""
        out: dict[str, Any] = {} if self.record_format == RECORD_V1 else {"format": self.record_format}
        out |= {
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
        if self.confidential is not None:
            out["confidential"] = dict(self.confidential)
        return out
