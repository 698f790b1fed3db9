"""The Merkle log as the API and CLI see it: a sequencer that integrates every case entry in commit order,
signed checkpoints (periodic and on demand), and RFC 9162 proofs read from the stored nodes."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.utils import Environment

from services.following import Component, PollingFollower, Step
from services.ledger.instants import format_instant
from services.ledger.problems import Problem
from services.ledger.store import LedgerStore, open_store, persistence_env
from services.transparency import merkle
from services.transparency.leaf import record_leaf_hash
from services.transparency.log import (
    TRACKING_NAME,
    MerkleLogMixin,
    PostgresMerkleLog,
    SQLiteMerkleLog,
    StoredCheckpoint,
)
from services.transparency.settings import LogSettings
from services.transparency.signer import Signer, load_signer


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def open_log(database_url: str) -> MerkleLogMixin:
    env = persistence_env(database_url)
    cls = PostgresMerkleLog if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres" else SQLiteMerkleLog
    factory = InfrastructureFactory.construct(Environment("MerkleLog", env))
    return factory.tracking_recorder(cls)  # type: ignore[arg-type, return-value]


def integrate_next(store: LedgerStore, log: MerkleLogMixin, batch: int = 500) -> int:
    """Append the next ledger entries after the log's position as leaves; how many were read."""
    records = store.feed(log.position(), batch)
    if records:
        log.integrate([(r.position, record_leaf_hash(r.to_json())) for r in records],
                      Tracking(TRACKING_NAME, records[-1].position))
    return len(records)


def sign_checkpoint(log: MerkleLogMixin, signer: Signer, now: datetime) -> StoredCheckpoint:
    """Sign the tree as it stands (or return the latest checkpoint when the tree has not grown)."""
    size = log.size()
    latest = log.latest_checkpoint()
    if latest is not None and latest.size >= size:
        return latest
    with log.reading() as nodes:
        root = merkle.root(size, nodes)
    checkpoint = StoredCheckpoint(size, root, signer.checkpoint(size, root), format_instant(now))
    log.add_checkpoint(checkpoint)
    return log.checkpoint(size) or checkpoint


class TransparencyService(Component):
    handles = ("ledger", "log")

    def __init__(self, settings: LogSettings, follow: bool = True) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._last_signed = 0.0
        self.follower = PollingFollower(self._sequencing) if follow else None

    @cached_property
    def signer(self) -> Signer:
        return load_signer(self.settings.signing_key_file, self.settings.dev_key_file, self.settings.log_origin)

    @cached_property
    def log(self) -> MerkleLogMixin:
        return open_log(self.settings.database_url)

    @cached_property
    def ledger(self) -> LedgerStore:
        return open_store(self.settings.database_url)

    def start(self) -> None:
        _ = self.signer  # a bad key file should stop the service; a database that is down should not
        super().start()

    @contextmanager
    def _sequencing(self) -> Iterator[Step]:
        store, log = open_store(self.settings.database_url), open_log(self.settings.database_url)

        def step() -> int:
            n = integrate_next(store, log)
            if time.monotonic() - self._last_signed >= self.settings.checkpoint_interval_seconds:
                self._last_signed = time.monotonic()
                sign_checkpoint(log, self.signer, datetime.now(UTC))
            return n

        try:
            yield step
        finally:
            store.close()
            log.close()

    # -- checkpoints ----------------------------------------------------------------------------------------
    def checkpoint_now(self) -> StoredCheckpoint:
        """Integrate everything committed so far and sign the tree head."""
        with self._lock, self._storage():
            while integrate_next(self.ledger, self.log):
                pass
            return sign_checkpoint(self.log, self.signer, datetime.now(UTC))

    def latest(self) -> StoredCheckpoint:
        with self._storage():
            latest = self.log.latest_checkpoint()
        return latest or self.checkpoint_now()

    def history(self, at_most: int | None, limit: int) -> list[StoredCheckpoint]:
        with self._storage():
            return self.log.checkpoints(at_most if at_most is not None else 2**62, limit)

    # -- proofs ---------------------------------------------------------------------------------------------
    def _tree_size(self, tree_size: int | None, name: str = "tree_size") -> int:
        size = self.log.size()
        if tree_size is None:
            return size
        if not 0 < tree_size <= size:
            raise Problem("bad-request", f"{name} {tree_size} is outside the log (1..{size})",
                          errors=[{"parameter": name, "rule": "range"}])
        return tree_size

    def inclusion(self, position: int, tree_size: int | None) -> dict[str, Any]:
        with self._storage():
            return self._inclusion(position, tree_size)

    def _inclusion(self, position: int, tree_size: int | None) -> dict[str, Any]:
        leaf = self.log.leaf_at(position)
        if leaf is None:
            raise Problem("not-found", f"no case entry at position {position} in the log (not an entry, or not "
                                       "integrated yet: POST /v1/checkpoints integrates everything)")
        size = self._tree_size(tree_size)
        if leaf.index >= size:
            raise Problem("bad-request", f"position {position} is leaf {leaf.index}, outside a tree of {size}",
                          errors=[{"parameter": "tree_size", "rule": "range"}])
        with self.log.reading() as nodes:
            return {"position": position, "leaf_index": leaf.index, "tree_size": size, "leaf_hash": b64(leaf.hash),
                    "root": b64(merkle.root(size, nodes)),
                    "inclusion_path": [b64(h) for h in merkle.inclusion_proof(leaf.index, size, nodes)]}

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        with self._storage():
            return self._consistency(first, second)

    def _consistency(self, first: int, second: int) -> dict[str, Any]:
        second = self._tree_size(second, "to")
        if not 0 < first <= second:
            raise Problem("bad-request", f"from {first} must be in 1..{second}",
                          errors=[{"parameter": "from", "rule": "range"}])
        with self.log.reading() as nodes:
            return {"from": first, "to": second, "from_root": b64(merkle.root(first, nodes)),
                    "to_root": b64(merkle.root(second, nodes)),
                    "consistency_path": [b64(h) for h in merkle.consistency_proof(first, second, nodes)]}
