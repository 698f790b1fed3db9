"""Merkle proofs at scale: a log of N synthetic leaves built in PostgreSQL through the sequencer's own
``integrate``, then inclusion and consistency proofs timed as the API computes them (the leaf looked up by
position, the tree size read, then one read transaction for the root and the path; HTTP and the inclusion
endpoint's check that the reader may see the case are not included)."""

from __future__ import annotations

import hashlib
import random
import time
from typing import Any

from eventsourcing.persistence import Tracking

from bench.harness import latency_ms, say
from esledger.bootstrap import Storage
from esledger.settings import Settings
from esledger.transparency import merkle
from esledger.transparency.logstore import TRACKING_NAME, MerkleStore


def build(log: MerkleStore, leaves: int, batch: int = 10_000) -> float:
    """Integrate ``leaves`` leaves at ledger positions 1…N; leaves per second."""
    started = last = time.perf_counter()
    for start in range(0, leaves, batch):
        end = min(start + batch, leaves)
        log.integrate(
            [(i + 1, hashlib.sha256(i.to_bytes(8, "big")).digest()) for i in range(start, end)],
            Tracking(TRACKING_NAME, end),
        )
        if time.perf_counter() - last > 10 or end == leaves:
            last = time.perf_counter()
            say(f"    integrated {end:,} of {leaves:,} leaves")
    return leaves / (time.perf_counter() - started)


def inclusion(log: MerkleStore, position: int) -> tuple[int, int, bytes, list[bytes]]:
    leaf = log.leaf_at(position)
    assert leaf is not None
    size = log.size()
    return leaf.index, size, *log.inclusion(leaf.index, size)


def consistency(log: MerkleStore, first: int) -> tuple[bytes, bytes, list[bytes]]:
    return log.consistency(first, log.size())


def measure(database_url: str, leaves: int, samples: int) -> dict[str, Any]:
    storage = Storage(Settings(database_url=database_url))
    try:
        log = storage.merkle.get()
        rate = build(log, leaves)
        rng = random.Random(7)
        timings: dict[str, list[float]] = {"inclusion": [], "consistency": []}
        for _ in range(samples):
            position = rng.randrange(1, leaves + 1)
            started = time.perf_counter()
            index, size, root, path = inclusion(log, position)
            timings["inclusion"].append(time.perf_counter() - started)
            first = rng.randrange(1, leaves)
            started = time.perf_counter()
            old_root, new_root, steps = consistency(log, first)
            timings["consistency"].append(time.perf_counter() - started)
        merkle.verify_inclusion(hashlib.sha256((position - 1).to_bytes(8, "big")).digest(), index, size, path, root)
        merkle.verify_consistency(first, size, old_root, new_root, steps)
    finally:
        storage.close()
    return {"leaves": leaves, "build_leaves_per_s": round(rate), "samples": samples} | {
        kind: latency_ms(values) for kind, values in timings.items()
    }
