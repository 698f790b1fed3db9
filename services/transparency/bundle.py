"""Evidence bundles: a case's (or the whole ledger's) records with their leaf hashes and inclusion proofs,
and the signed checkpoint they verify against — everything a reviewer needs, with no database.

Format ``zfjd-bundle/1`` (JSON)::

    {"format": "zfjd-bundle/1", "scope": {"case_id": "GR-…"} | {"all": true},
     "checkpoint": "<C2SP signed note>",
     "entries": [{"record": {<the stored record, as the ledger returns it>}, "leaf_index": i,
                  "leaf_hash": "<base64>", "inclusion_path": ["<base64>", …]}, …]}

With ``--since-size``: ``"since": {"checkpoint": "<an earlier signed note>", "consistency_path": […]}``.

``leaf_hash`` is what the log stored when the event was integrated; the verifier recomputes it from the
record (``zfjd-leaf/1`` or ``/2``, as the record's format calls for: ``leaf.py``) and checks the proof from the
recomputed hash, so an altered record is named. Records carry sealed events and never confidential values:
a bundle stays evidence after a value in it is erased.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from esledger.core.chain import verify_chain
from esledger.core.encoding import b64, unb64
from esledger.core.record import LedgerRecord
from esledger.transparency import merkle
from esledger.transparency.checkpoint import Checkpoint, CheckpointError, verify_checkpoint
from esledger.transparency.leaf import record_leaf_hash
from esledger.transparency.logstore import MerkleStore, StoredCheckpoint
from esledger.transparency.merkle import ProofError
from esledger.transparency.note import NoteError

BUNDLE_FORMAT = "zfjd-bundle/1"


def build_bundle(
    records: Iterable[LedgerRecord],
    log: MerkleStore,
    checkpoint: StoredCheckpoint,
    scope: Mapping[str, Any],
    since: StoredCheckpoint | None = None,
    progress: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Entries for the records inside the checkpoint's tree (later ones are left out, and counted); with
    ``since``, a consistency proof from that earlier checkpoint, so a reviewer who kept it can tell nothing
    signed then was changed."""
    entries, later = [], 0
    for record in records:
        leaf = log.leaf_at(record.position)
        if leaf is None or leaf.index >= checkpoint.size:
            later += 1
            continue
        with log.reading(merkle.inclusion_nodes(leaf.index, checkpoint.size)) as nodes:
            path = merkle.inclusion_proof(leaf.index, checkpoint.size, nodes)
        entries.append(
            {
                "record": record.to_json(),
                "leaf_index": leaf.index,
                "leaf_hash": b64(leaf.hash),
                "inclusion_path": [b64(h) for h in path],
            }
        )
        progress()
    bundle = {
        "format": BUNDLE_FORMAT,
        "scope": dict(scope),
        "checkpoint": checkpoint.note,
        "after_checkpoint": later,
        "entries": entries,
    }
    if since is not None:
        with log.reading(merkle.consistency_nodes(since.size, checkpoint.size)) as nodes:
            path = merkle.consistency_proof(since.size, checkpoint.size, nodes)
        bundle["since"] = {"checkpoint": since.note, "consistency_path": [b64(h) for h in path]}
    return bundle


@dataclass(frozen=True)
class Failure:
    """One thing that does not verify: where (which event, case or checkpoint) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _where(record: Mapping[str, Any]) -> str:
    return f"position {record.get('position')} (case {record.get('case_id')!r} version {record.get('case_version')})"


def _since(bundle: Mapping[str, Any], checkpoint: Checkpoint, verifier_key: str, kept: str | None) -> list[Failure]:
    """The bundle's checkpoint against one the reviewer kept from earlier: the same tree head, or a later one
    with a consistency proof from it (RFC 9162 §2.1.4)."""
    failures = []
    earlier: Checkpoint | None = None
    if "since" in bundle:
        try:
            earlier = verify_checkpoint(bundle["since"]["checkpoint"], verifier_key)
            merkle.verify_consistency(
                earlier.size,
                checkpoint.size,
                earlier.root,
                checkpoint.root,
                [unb64(h, "proof hash") for h in bundle["since"]["consistency_path"]],
            )
        except (NoteError, CheckpointError, ProofError, ValueError) as exc:
            failures.append(Failure(f"consistency from checkpoint {earlier.size if earlier else '?'}", str(exc)))
    if kept is not None:
        try:
            mine = verify_checkpoint(kept, verifier_key)
        except (NoteError, CheckpointError) as exc:
            return [*failures, Failure("your checkpoint", str(exc))]
        proven = {(checkpoint.size, checkpoint.root)} | (
            {(earlier.size, earlier.root)} if earlier and not failures else set()
        )
        if (mine.size, mine.root) not in proven:
            failures.append(
                Failure(
                    f"your checkpoint {mine.size}",
                    "the bundle proves nothing about it: its tree "
                    f"head is {checkpoint.size}; export with "
                    f"--since-size {mine.size}",
                )
            )
    return failures


def verify_bundle(
    bundle: Mapping[str, Any],
    verifier_key: str,
    kept_checkpoint: str | None = None,
    progress: Callable[[], None] = lambda: None,
) -> tuple[int, list[Failure]]:
    """Check a bundle offline: the checkpoint's signature, every record against its leaf and inclusion
    proof, every case's hash chain, for a whole-ledger bundle that no leaf is missing, and, given a
    checkpoint the reviewer kept, that the bundle's tree extends it unchanged.
    Returns the tree size verified against and every failure, each naming the event."""
    if bundle.get("format") != BUNDLE_FORMAT:
        return 0, [Failure("bundle", f"format {bundle.get('format')!r} is not {BUNDLE_FORMAT}")]
    try:
        checkpoint = verify_checkpoint(bundle["checkpoint"], verifier_key)
    except (NoteError, CheckpointError) as exc:
        return 0, [Failure("checkpoint", str(exc))]
    failures = _since(bundle, checkpoint, verifier_key, kept_checkpoint)
    cases: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    indexes = []
    for entry in bundle["entries"]:
        record = entry["record"]
        cases[record["case_id"]].append(record)
        indexes.append(entry["leaf_index"])
        try:
            recomputed = record_leaf_hash(record)
        except ValueError as exc:
            failures.append(Failure(_where(record), str(exc)))
            continue
        if b64(recomputed) != entry["leaf_hash"]:
            failures.append(
                Failure(
                    _where(record),
                    f"leaf hash recomputed from the record {b64(recomputed)} != "
                    f"the logged leaf hash {entry['leaf_hash']}: the record was "
                    "altered after it was logged",
                )
            )
        try:
            merkle.verify_inclusion(
                recomputed,
                entry["leaf_index"],
                checkpoint.size,
                [unb64(h, "proof hash") for h in entry["inclusion_path"]],
                checkpoint.root,
            )
        except (ProofError, ValueError) as exc:
            failures.append(
                Failure(
                    _where(record),
                    f"leaf {entry['leaf_index']} is not in the checkpointed tree of {checkpoint.size}: {exc}",
                )
            )
        progress()
    for case_id, records in cases.items():
        check = verify_chain(sorted(records, key=lambda r: r["case_version"]))
        if not check.valid:
            failures.append(Failure(f"case {case_id!r} version {check.broken_at}", f"hash chain: {check.reason}"))
    if bundle.get("scope", {}).get("all") and sorted(indexes) != list(range(checkpoint.size)):
        missing = sorted(set(range(checkpoint.size)) - set(indexes))
        failures.append(Failure("bundle", f"leaves missing from a whole-ledger bundle: {missing[:20]}"))
    return checkpoint.size, failures
