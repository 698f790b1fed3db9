"""What the ledger's events do to the read model: each case entry is copied, with the position the ledger
gave it, in the same transaction as the read model's tracking position, so following is exactly once."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from esledger.ledger.store import LedgerStore
from esledger.projections.readmodel import APPLICATION, ReadModel


def catch_up(store: LedgerStore, read_model: ReadModel, batch: int = 500) -> int:
    """Apply the next ``batch`` ledger entries after the read model's position; how many were read."""
    records = store.feed(read_model.position(), batch)
    for record in records:
        read_model.apply(record.to_json(), Tracking(APPLICATION, record.position))
    return len(records)
