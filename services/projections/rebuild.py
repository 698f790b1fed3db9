"""Recompute the read model from position 0 through the same projection code the follower runs."""

from __future__ import annotations

from collections.abc import Callable

from esledger.ledger.store import LedgerStore
from esledger.projections.projection import catch_up
from esledger.projections.readmodel import ReadModel


def rebuild(
    store: LedgerStore,
    read_model: ReadModel,
    progress: Callable[[int, int], None] = lambda position, head: None,
    batch: int = 1000,
) -> int:
    """Empty the read model and replay the whole ledger into it; returns the position reached.

    Safe beside a running follower: each position is applied once, whoever gets there first."""
    read_model.clear()
    head = store.head()
    while catch_up(store, read_model, batch):
        progress(read_model.position(), head)
    return read_model.position()
