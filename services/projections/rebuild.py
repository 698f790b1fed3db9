"""Recompute the read model from position 0 through the same projection code the follower runs, into tables
of its own that then replace the live ones: the live read model answers until the swap, and no dead rows
are left behind (the old tables are dropped)."""

from __future__ import annotations

from collections.abc import Callable

from esledger.ledger.store import LedgerStore
from esledger.projections.projection import Projector, scope_rows
from esledger.projections.readmodel import ReadModel


def rebuild(
    store: LedgerStore,
    read_model: ReadModel,
    projector: Projector,
    progress: Callable[[int, int], None] = lambda position, head: None,
    batch: int = 5000,
) -> int:
    """Replay the whole ledger into fresh tables and swap them in; returns the position reached.

    Safe beside a running follower: it keeps the live tables until the swap, then goes on from the rebuilt
    position (each position is applied once to each set of tables)."""
    names = read_model.start_rebuild()
    head = store.head()
    position = 0
    while entries := store.feed(position, batch):
        new = [e.to_json() for e in entries]
        rows = projector.recompute(read_model, names, (), new, projector.clock())
        read_model.write(names, position, entries[-1].position, new, rows, scope_rows(new))
        position = entries[-1].position
        progress(position, max(head, position))
    read_model.index(names)
    return read_model.swap(names)
