"""The bytes of a Merkle leaf: format ``zfjd-leaf/1``, the RFC 8785 (JCS) encoding of the stored record.

    {"format": "zfjd-leaf/1", "position": p, "case_id": ..., "case_kind": ..., "case_version": n,
     "recorded_at": "...Z", "recorded_by": ..., "prev_hash": ..., "hash": ..., "event": {...}}

It covers everything the ledger knows of the event: its content, its global position (so rows cannot be
swapped), the recorded time and principal, and the case chain hashes (so a case's chain is anchored in the
log). Leaf ``i`` is the i-th stored case entry in commit order; ``position`` says where it is in the feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esledger.core.canonical import canonical_bytes
from esledger.transparency.merkle import leaf_hash

LEAF_FORMAT = "zfjd-leaf/1"


def leaf_bytes(record: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a stored record (as the ledger's reads return it)."""
    return canonical_bytes({"format": LEAF_FORMAT, **record})


def record_leaf_hash(record: Mapping[str, Any]) -> bytes:
    return leaf_hash(leaf_bytes(record))
