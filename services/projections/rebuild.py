"""Recompute the read model from position 0 through the same projection code the followers run."""

from __future__ import annotations

from collections.abc import Callable

from services.ledger.store import open_store
from services.projections.follower import catch_up, open_view
from services.projections.projection import CaseProjection


def rebuild(database_url: str, progress: Callable[[int, int], None] = lambda position, head: None,
            batch: int = 1000) -> int:
    """Empty the read model and replay the whole ledger into it; returns the position reached.

    Safe beside a running follower: each position is applied once, whoever gets there first."""
    store, view = open_store(database_url), open_view(database_url)
    try:
        view.clear()
        projection = CaseProjection(view)
        head = store.head()
        while catch_up(store, view, projection, batch):
            progress(view.position(), head)
        return view.position()
    finally:
        store.close()
        view.close()
