"""Each case's events form a hash chain: an entry's hash covers its content, its recorded metadata and
the previous entry's hash, so altering, removing or reordering any entry breaks every hash after it.

The hashed document is the JCS encoding of::

    {"format": <record format>, "case_id": ..., "case_kind": ..., "case_version": n,
     "recorded_at": "YYYY-MM-DDThh:mm:ss.ffffffZ", "recorded_by": ..., "prev_hash": <hex>,
     "event": <the CloudEvent as stored>}

Two record formats, told apart by that first member:

- ``zfjd-record/1``: the event exactly as accepted, confidential values inline (entries stored before
  sealing; a record without a ``format`` member is one of these);
- ``zfjd-record/2``: the event as sealed (``esledger.ledger.sealing``): each confidential value replaced by
  a salted digest of it, the value kept apart, so erasing the value leaves every hash verifiable.

The first entry of a case has ``prev_hash`` = 64 zeros. The global position is not covered: the database
assigns it at commit, after the hash is fixed; the Merkle log over the global order covers it instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from esledger.core.canonical import sha256_hex

RECORD_V1 = "zfjd-record/1"
RECORD_V2 = "zfjd-record/2"
RECORD_FORMATS = (RECORD_V1, RECORD_V2)
GENESIS_HASH = "0" * 64


def entry_hash(
    *,
    case_id: str,
    case_kind: str,
    case_version: int,
    recorded_at: str,
    recorded_by: str,
    prev_hash: str,
    event: Mapping[str, Any],
    record_format: str = RECORD_V1,
) -> str:
    """The hash of one chain entry (see the module docstring for the exact document)."""
    if record_format not in RECORD_FORMATS:
        raise ValueError(f"unknown record format {record_format!r}; known: {', '.join(RECORD_FORMATS)}")
    return sha256_hex(
        {
            "format": record_format,
            "case_id": case_id,
            "case_kind": case_kind,
            "case_version": case_version,
            "recorded_at": recorded_at,
            "recorded_by": recorded_by,
            "prev_hash": prev_hash,
            "event": event,
        }
    )


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of walking a case's chain: valid, or the first version where it breaks and why."""

    valid: bool
    head: str
    broken_at: int | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid, "head": self.head}
        if not self.valid:
            out |= {"broken_at_version": self.broken_at, "reason": self.reason}
        return out


def verify_chain(records: Iterable[Mapping[str, Any]]) -> ChainCheck:
    """Recompute every hash of a case's records (as the API returns them, in version order; a record without
    ``format`` is ``zfjd-record/1``)."""
    expected_prev = GENESIS_HASH
    expected_version = 1
    for r in records:
        version = r["case_version"]
        if version != expected_version:
            return ChainCheck(False, expected_prev, version, f"expected version {expected_version}, got {version}")
        if r["prev_hash"] != expected_prev:
            return ChainCheck(False, expected_prev, version, "prev_hash does not match the previous entry's hash")
        record_format = r.get("format", RECORD_V1)
        if record_format not in RECORD_FORMATS:
            return ChainCheck(False, expected_prev, version, f"unknown record format {record_format!r}")
        recomputed = entry_hash(
            case_id=r["case_id"],
            case_kind=r["case_kind"],
            case_version=version,
            recorded_at=r["recorded_at"],
            recorded_by=r["recorded_by"],
            prev_hash=r["prev_hash"],
            event=r["event"],
            record_format=record_format,
        )
        if recomputed != r["hash"]:
            return ChainCheck(False, expected_prev, version, f"stored hash {r['hash']} != recomputed {recomputed}")
        expected_prev = r["hash"]
        expected_version += 1
    return ChainCheck(True, expected_prev)
