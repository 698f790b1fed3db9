"""The bytes of a Merkle leaf: the RFC 8785 (JCS) encoding of the stored record, in the format its record
calls for.

``zfjd-leaf/1``, for ``zfjd-record/1`` records (no ``format`` member)::

    {"format": "zfjd-leaf/1", "position": p, "case_id": ..., "case_kind": ..., "case_version": n,
     "recorded_at": "...Z", "recorded_by": ..., "prev_hash": ..., "hash": ..., "event": {...}}

``zfjd-leaf/2``, for ``zfjd-record/2`` records (sealed events)::

    {"format": "zfjd-leaf/2", "record": {"format": "zfjd-record/2", "position": p, ..., "event": {...}}}

It covers everything the ledger knows of the event: its content, its global position (so rows cannot be
swapped), the recorded time and principal, and the case chain hashes (so a case's chain is anchored in the
log). A record's ``confidential`` member (values shown to a reader beside the sealed event) is never part of
it: the sealed event commits to those values by their salted digests. Leaf ``i`` is the i-th stored case
entry in commit order; ``position`` says where it is in the feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esledger.core.canonical import canonical_bytes
from esledger.core.chain import RECORD_V1, RECORD_V2
from esledger.transparency.merkle import leaf_hash

LEAF_FORMATS = {RECORD_V1: "zfjd-leaf/1", RECORD_V2: "zfjd-leaf/2"}


def leaf_bytes(record: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a stored record (as the ledger's reads return it); ValueError for a record
    format this verifier does not know."""
    stored = {k: v for k, v in record.items() if k != "confidential"}
    record_format = stored.get("format", RECORD_V1)
    if record_format == RECORD_V1:
        return canonical_bytes({**stored, "format": LEAF_FORMATS[RECORD_V1]})
    if record_format == RECORD_V2:
        return canonical_bytes({"format": LEAF_FORMATS[RECORD_V2], "record": stored})
    raise ValueError(f"unknown record format {record_format!r}; known: {', '.join(LEAF_FORMATS)}")


def record_leaf_hash(record: Mapping[str, Any]) -> bytes:
    return leaf_hash(leaf_bytes(record))
