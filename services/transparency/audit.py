"""``esledger verify --live``: recompute every leaf and every case chain from the database and check them
against the signed checkpoints, and each stored checkpoint against the next by a consistency proof; and
check the confidential values kept apart against the digests their sealed events commit to.

It trusts nothing stored but the public key: stored leaf hashes and nodes are compared with what the
events recompute to, so an edit made by a database administrator is named, whichever table it touched. A
value kept apart must match its event's marker (else it was altered), a marker without its value needs an
erasure recorded in its case (else the value was deleted outside the ledger), and a value no event commits
to was added outside it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from esledger.core.chain import verify_chain
from esledger.domain.acts import ERASED, act_of
from esledger.ledger.confidential import locations
from esledger.ledger.sealing import is_sealed
from esledger.ledger.store import LedgerStore
from esledger.ledger.values import StoredValue
from esledger.transparency import merkle
from esledger.transparency.bundle import Failure, _where
from esledger.transparency.leaf import record_leaf_hash
from esledger.transparency.logstore import MerkleStore, StoredCheckpoint
from esledger.transparency.merkle import ProofError
from esledger.transparency.rotation import check_sequence, signed_by

ConfidentialPaths = Callable[[Mapping[str, Any]], Sequence[str]]
"""Where an event holds confidential values (the catalog's ``confidential_paths``)."""


def audit(
    store: LedgerStore,
    log: MerkleStore,
    verifier_keys: Sequence[str],
    confidential: ConfidentialPaths,
    progress: Callable[[int], None] = lambda n: None,
    kept: str | None = None,
) -> tuple[dict[str, Any], list[Failure]]:
    """``verifier_keys``: the log's public keys over its life (a rotation hands over from one to the next);
    ``kept``: a checkpoint note a reviewer kept, which the log must extend unchanged (after a restore, too)."""
    checkpoints = sorted(log.checkpoints(2**62, 2**31), key=lambda c: c.size)
    failures = [Failure(where, what) for where, what in check_sequence(checkpoints, verifier_keys)]
    for old, new in itertools.pairwise(checkpoints):
        try:
            with log.reading() as nodes:
                proof = merkle.consistency_proof(old.size, new.size, nodes)
            merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
        except (ProofError, LookupError) as exc:
            failures.append(Failure(f"checkpoints {old.size} → {new.size}", f"not consistent: {exc}"))

    size = log.size()
    stored = {leaf.position: leaf for leaf in log.leaves(0, size)}
    recomputed: list[bytes] = []
    chains: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen = 0
    for record in store.records():
        data = record.to_json()
        chains[record.case_id].append(data)
        leaf_hash = record_leaf_hash(data)
        leaf = stored.pop(record.position, None)
        if leaf is None:
            if seen < size:
                failures.append(
                    Failure(
                        _where(data),
                        "this event is not in the Merkle log where the ledger's order puts it (inserted or moved)",
                    )
                )
        else:
            if leaf.index != seen:
                failures.append(
                    Failure(
                        _where(data),
                        f"logged as leaf {leaf.index}, but it is entry {seen} of "
                        "the ledger (an event before it was removed or added)",
                    )
                )
            if leaf.hash != leaf_hash:
                failures.append(
                    Failure(
                        _where(data),
                        f"recomputed leaf hash {leaf_hash.hex()} != logged "
                        f"{leaf.hash.hex()}: the stored event was altered",
                    )
                )
        if seen < size:
            recomputed.append(leaf_hash)
        seen += 1
        progress(seen)
    for position, leaf in sorted(stored.items()):
        failures.append(
            Failure(
                f"leaf {leaf.index} (position {position})",
                "the ledger no longer holds this event (deleted, or its position changed)",
            )
        )
    for case_id, records in chains.items():
        check = verify_chain(records)
        if not check.valid:
            failures.append(Failure(f"case {case_id!r} version {check.broken_at}", f"hash chain: {check.reason}"))
    values = store.every_value()
    failures += _kept_apart(values, (r for records in chains.values() for r in records), confidential)

    if checkpoints:
        latest = checkpoints[-1]
        if latest.size <= len(recomputed) and merkle.merkle_root(recomputed[: latest.size]) != latest.root:
            failures.append(
                Failure(f"checkpoint {latest.size}", "the ledger's events no longer hash to the signed root")
            )
        try:
            with log.reading() as nodes:
                stored_root = merkle.root(latest.size, nodes)
            if stored_root != latest.root:
                failures.append(
                    Failure(f"checkpoint {latest.size}", "the stored tree nodes do not give the signed root")
                )
        except LookupError as exc:
            failures.append(Failure(f"checkpoint {latest.size}", f"stored tree nodes missing: {exc}"))
    if kept is not None:
        failures += _extends(kept, verifier_keys, log, recomputed, checkpoints[-1] if checkpoints else None)
    summary = {
        "events": seen,
        "confidential_values": len(values),
        "leaves": size,
        "checkpoints": len(checkpoints),
        "latest_checkpoint": checkpoints[-1].size if checkpoints else None,
    }
    return summary, failures


def _extends(
    kept_note: str,
    keys: Sequence[str],
    log: MerkleStore,
    recomputed: Sequence[bytes],
    latest: StoredCheckpoint | None,
) -> list[Failure]:
    """The kept checkpoint is signed by one of the keys, the ledger's events still hash to its root, and the
    latest stored checkpoint extends it (a consistency proof from the stored tree)."""
    found = signed_by(kept_note, keys)
    if found is None:
        return [Failure("kept checkpoint", "not a checkpoint signed by any of the keys given (--key)")]
    kept = found[1]
    where = f"kept checkpoint {kept.size}"
    if kept.size > len(recomputed):
        return [
            Failure(
                where,
                f"the kept checkpoint has {kept.size} entries, the log only {len(recomputed)}: "
                f"{kept.size - len(recomputed)} entries are lost (restored from a backup older than the checkpoint?)",
            )
        ]
    if merkle.merkle_root(list(recomputed[: kept.size])) != kept.root:
        return [
            Failure(
                where, f"the ledger's first {kept.size} entries do not hash to the kept root: the log was rewritten"
            )
        ]
    if latest is None or latest.size < kept.size:
        return [Failure(where, f"no stored checkpoint extends it (latest: {latest.size if latest else 'none'})")]
    try:
        with log.reading() as nodes:
            proof = merkle.consistency_proof(kept.size, latest.size, nodes)
        merkle.verify_consistency(kept.size, latest.size, kept.root, latest.root, proof)
    except (ProofError, LookupError) as exc:
        return [Failure(f"{where} → checkpoint {latest.size}", f"not consistent: {exc}")]
    return []


def _kept_apart(
    values: Iterable[StoredValue], records: Iterable[Mapping[str, Any]], confidential: ConfidentialPaths
) -> list[Failure]:
    """The values table against the sealed events: each value matches its marker, each marker has its value
    or a recorded erasure, each value has a marker."""
    kept = {(v.ref.case_id, v.ref.case_version, v.ref.pointer): v.sealed for v in values}
    sealed, erased = [], set()
    for record in records:
        event = record["event"]
        if act_of(event) == ERASED:
            erased.add((record["case_id"], event["data"]["target_version"], event["data"]["pointer"]))
        sealed += [(record, found) for found in locations(event, confidential(event)) if is_sealed(found.value)]
    failures = []
    for record, found in sealed:
        key = (record["case_id"], record["case_version"], found.pointer)
        value = kept.pop(key, None)
        if value is None and key not in erased:
            failures.append(
                Failure(_where(record), f"the value sealed at {found.pointer} is gone and no erasure of it is recorded")
            )
        elif value is not None and value.marker != found.value:
            failures.append(
                Failure(_where(record), f"the value kept for {found.pointer} does not match its sealed digest")
            )
    for case_id, version, pointer in kept:
        failures.append(
            Failure(f"case {case_id!r} version {version}", f"a value is kept for {pointer}, which no event seals")
        )
    return failures
