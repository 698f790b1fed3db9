"""The Merkle log as the API and CLI see it. ``TransparencyService`` reads it: stored checkpoints and RFC 9162
proofs from the stored nodes (the ledger role serves these; no key needed). ``Sequencer`` also writes it:
integrates every case entry in commit order and signs checkpoints, periodically and on demand (the log role,
which holds the signing key)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import Tracking

from esledger.core.availability import Availability
from esledger.core.encoding import b64
from esledger.core.errors import Forbidden, InvalidArgument, NotFound
from esledger.core.following import Follower
from esledger.core.instants import Clock, format_instant
from esledger.core.storage import Handle
from esledger.ledger.case import involved_units
from esledger.ledger.reveal import inline_values
from esledger.ledger.service import Reader
from esledger.ledger.store import LedgerStore
from esledger.transparency import merkle
from esledger.transparency.bundle import build_bundle
from esledger.transparency.leaf import leaf_bytes, record_leaf_hash
from esledger.transparency.logstore import TRACKING_NAME, MerkleStore, StoredCheckpoint
from esledger.transparency.rotation import key_change, rotation_line, signed_by
from esledger.transparency.signer import Signer
from esledger.transparency.tiles import Tile, TileError, check_available, entry_bundle
from esledger.transparency.witnessing import Witnessing, WitnessPolicy, cosigned_note, published

BATCH = 5000
"""Most entries one integration reads and commits: a burst is one transaction, a backlog a few, each short."""


def sign_checkpoint(
    log: MerkleStore, signer: Signer, signed_at: str, extensions: Sequence[str] = ()
) -> StoredCheckpoint:
    """Sign the tree as it stands (or return the latest checkpoint when the tree has not grown)."""
    size = log.size()
    latest = log.latest_checkpoint()
    if latest is not None and latest.size >= size:
        return latest
    with log.reading(merkle.root_nodes(size)) as nodes:
        root = merkle.root(size, nodes)
    checkpoint = StoredCheckpoint(size, root, signer.checkpoint(size, root, extensions), signed_at)
    log.add_checkpoint(checkpoint)
    return log.checkpoint(size) or checkpoint


class TransparencyService:
    """The log's reads: what the sequencer stored, and proofs from it."""

    def __init__(
        self,
        log: Handle[MerkleStore],
        store: Handle[LedgerStore],
        availability: Availability,
        confidential_paths: Callable[[Mapping[str, Any]], Sequence[str]],
        policy: WitnessPolicy | None = None,
    ) -> None:
        self.log = log
        self.store = store
        self.availability = availability
        self.confidential_paths = confidential_paths
        """Where an event may hold confidential values (the catalog's), so no bundle discloses one."""
        self.policy = policy
        """The witness policy (``ESLEDGER_WITNESS_POLICY_FILE``) that decides which checkpoints are published."""

    # -- cosigned and published checkpoints ----------------------------------------------------------------
    def cosigned_latest(self) -> str:
        """The latest checkpoint with every witness cosignature kept for it."""
        latest = self.latest()
        with self.availability.guard():
            return cosigned_note(self.log.get(), latest)

    def published(self) -> str:
        """The newest checkpoint the witness policy's quorum cosigned."""
        if self.policy is None:
            raise NotFound(
                "no witness policy is configured (ESLEDGER_WITNESS_POLICY_FILE): no checkpoint counts as published"
            )
        with self.availability.guard():
            found = published(self.log.get(), self.policy)
        if found is None:
            raise NotFound(
                f"no checkpoint is cosigned by {self.policy.quorum} of the {len(self.policy.witnesses)} witnesses yet"
            )
        return found[1]

    # -- tiles (c2sp.org/tlog-tiles) -----------------------------------------------------------------------
    def tile(self, tile: Tile) -> bytes:
        """A hash tile: stored perfect nodes at level 8*L, as the tree now stands."""
        assert tile.level is not None
        with self.availability.guard():
            log = self.log.get()
            try:
                check_available(tile, log.size())
            except TileError as exc:
                raise NotFound(str(exc)) from None
            hashes = log.node_range(8 * tile.level, tile.start, tile.start + tile.width)
        if len(hashes) != tile.width:
            raise NotFound(f"{tile.path()}: the log holds {len(hashes)} of its {tile.width} hashes")
        return b"".join(hashes)

    def entries(self, tile: Tile) -> bytes:
        """An entry bundle: each leaf's bytes (``leaf.py``), re-derived from the stored records."""
        with self.availability.guard():
            log = self.log.get()
            try:
                check_available(tile, log.size())
            except TileError as exc:
                raise NotFound(str(exc)) from None
            leaves = log.leaves(tile.start, tile.start + tile.width)
            records = self.store.get().feed(leaves[0].position - 1, tile.width) if leaves else []
        if [r.position for r in records] != [leaf.position for leaf in leaves] or len(leaves) != tile.width:
            raise NotFound(f"{tile.path()}: the ledger's records do not match the log's leaves at these positions")
        try:
            return entry_bundle(leaf_bytes(r.to_json()) for r in records)
        except TileError as exc:
            raise NotFound(f"{tile.path()}: {exc}; read these records from GET /v1/events") from None

    # -- checkpoints ----------------------------------------------------------------------------------------
    def latest(self) -> StoredCheckpoint:
        with self.availability.guard():
            latest = self.log.get().latest_checkpoint()
        if latest is None:
            raise NotFound(
                "no checkpoint signed yet: the log signs one as soon as it runs, then every "
                "ESLEDGER_CHECKPOINT_INTERVAL_SECONDS while the tree grows (POST /v1/checkpoints signs now)"
            )
        return latest

    def stored_checkpoint(self, size: int) -> StoredCheckpoint:
        with self.availability.guard():
            found = self.log.get().checkpoint(size)
        if found is None:
            raise NotFound(f"no stored checkpoint of size {size}; GET /v1/checkpoints lists them")
        return found

    def history(self, at_most: int | None, limit: int) -> list[StoredCheckpoint]:
        with self.availability.guard():
            return self.log.get().checkpoints(at_most if at_most is not None else 2**62, limit)

    # -- proofs ---------------------------------------------------------------------------------------------
    def _tree_size(self, log: MerkleStore, tree_size: int | None, name: str = "tree_size") -> int:
        size = log.size()
        if tree_size is None:
            return size
        if not 0 < tree_size <= size:
            raise InvalidArgument(
                f"{name} {tree_size} is outside the log (1..{size})", errors=[{"parameter": name, "rule": "range"}]
            )
        return tree_size

    def inclusion(self, position: int, tree_size: int | None, reader: Reader) -> dict[str, Any]:
        """The proof for the entry at a ledger position, if the reader may see that entry's case (otherwise
        answered as a position with no entry)."""
        with self.availability.guard():
            log = self.log.get()
            leaf = log.leaf_at(position)
            if leaf is None or not self._visible(position, reader):
                raise NotFound(
                    f"no case entry at position {position} in the log (not an entry, or not integrated "
                    "yet: the log integrates new entries within a second; POST /v1/checkpoints at once)"
                )
            size = self._tree_size(log, tree_size)
            if leaf.index >= size:
                raise InvalidArgument(
                    f"position {position} is leaf {leaf.index}, outside a tree of {size}",
                    errors=[{"parameter": "tree_size", "rule": "range"}],
                )
            root, path = log.inclusion(leaf.index, size)
            return {
                "position": position,
                "leaf_index": leaf.index,
                "tree_size": size,
                "leaf_hash": b64(leaf.hash),
                "root": b64(root),
                "inclusion_path": [b64(h) for h in path],
            }

    def _visible(self, position: int, reader: Reader) -> bool:
        store = self.store.get()
        found = store.feed(position - 1, 1)
        if not found or found[0].position != position:
            return False
        record = found[0]
        units = involved_units(r.event for r in store.timeline(record.case_id))
        return reader.view(record.case_id, units) is not None

    def case_bundle(self, case_id: str, reader: Reader) -> dict[str, Any]:
        """The case's evidence bundle against the latest stored checkpoint (records as stored: confidential
        values sealed, so the bundle reveals nothing the reader could not see)."""
        with self.availability.guard():
            records = self.store.get().timeline(case_id)
            units = involved_units(r.event for r in records)
            if not records or reader.view(case_id, units) is None:
                raise NotFound(f"no case {case_id!r} in the ledger", case_id=case_id)
            inline = [r.case_version for r in records if inline_values(r, self.confidential_paths(r.event))]
            if inline:
                raise Forbidden(
                    f"case {case_id!r} holds records stored before sealing (zfjd-record/1; versions {inline}) whose "
                    "confidential values are inside their hashes: a bundle would disclose them to whoever holds it, "
                    "and redacted it would not verify. Its timeline (values redacted) and inclusion proofs remain.",
                    case_id=case_id,
                )
            checkpoint = self.latest()
            return build_bundle(records, self.log.get(), checkpoint, {"case_id": case_id})

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        with self.availability.guard():
            log = self.log.get()
            second = self._tree_size(log, second, "to")
            if not 0 < first <= second:
                raise InvalidArgument(
                    f"from {first} must be in 1..{second}", errors=[{"parameter": "from", "rule": "range"}]
                )
            first_root, second_root, path = log.consistency(first, second)
            return {
                "from": first,
                "to": second,
                "from_root": b64(first_root),
                "to_root": b64(second_root),
                "consistency_path": [b64(h) for h in path],
            }


class Sequencer(TransparencyService):
    """The log's writer: integrates what the ledger committed, in groups (its follower gathers a burst of
    appends into one step), and signs a checkpoint every ``checkpoint_interval_seconds`` when the tree grew.
    Integration is exactly once whatever runs beside it: each group commits with its tracking position, and a
    group another sequencer integrated first changes nothing."""

    def __init__(
        self,
        log: Handle[MerkleStore],
        store: Handle[LedgerStore],
        availability: Availability,
        confidential_paths: Callable[[Mapping[str, Any]], Sequence[str]],
        signer: Signer,
        clock: Clock,
        *,
        checkpoint_interval_seconds: float,
        rotate: bool = False,
    ) -> None:
        super().__init__(log, store, availability, confidential_paths)
        self.signer = signer
        self.rotate = rotate
        self.rotated_from: str | None = None
        """The key this one replaces, until a checkpoint signed by this one records it (``rotation``)."""
        self._key_checked = False
        self.clock = clock
        self.checkpoint_interval_seconds = checkpoint_interval_seconds
        self.follower: Follower | None = None
        """The follower running ``step`` in this process, if this process runs it (its state is in health)."""
        self.integrations = 0
        """Integration transactions this process committed (each one group of entries)."""
        self.integrated = 0
        self._lock = threading.Lock()
        self._last_signed = 0.0
        self.witnessing: Witnessing | None = None
        """Submits each signed checkpoint to the witnesses, in a thread of its own (``witnessing``)."""

    def step(self) -> int:
        """The follower's step: integrate everything pending (bounded by ``BATCH``) in one transaction, and
        sign when the interval has passed; how many entries it read."""
        with self._lock:
            n = self._integrate()
            if time.monotonic() - self._last_signed >= self.checkpoint_interval_seconds:
                self._last_signed = time.monotonic()
                self._sign()
        return n

    def check_key(self) -> None:
        """Refuse (``SigningKeyChanged``) a key other than the one of the log's latest checkpoint, unless
        rotating; checked at start, and before the first signature if the database was down then."""
        with self._lock:
            self._check_key()

    def _check_key(self) -> None:
        self.rotated_from = key_change(self.log.get().latest_checkpoint(), self.signer, self.rotate)
        self._key_checked = True

    def _sign(self) -> StoredCheckpoint:
        if not self._key_checked:
            self._check_key()
        extensions = [rotation_line(self.rotated_from)] if self.rotated_from else []
        checkpoint = sign_checkpoint(self.log.get(), self.signer, format_instant(self.clock()), extensions)
        if self.rotated_from and signed_by(checkpoint.note, [self.signer.verifier_key]):
            self.rotated_from = None  # recorded
        if self.witnessing is not None:
            self.witnessing.notify()  # submitted from the witnessing thread: never inside this lock
        return checkpoint

    def _integrate(self) -> int:
        """Append the ledger entries after the log's position (up to ``BATCH``) as leaves, in one transaction;
        how many were read."""
        log = self.log.get()
        records = self.store.get().feed(log.position(), BATCH)
        leaves = [(r.position, record_leaf_hash(r.to_json())) for r in records]
        if leaves and log.integrate(leaves, Tracking(TRACKING_NAME, records[-1].position)) >= 0:
            self.integrations += 1
            self.integrated += len(leaves)
        return len(records)

    def checkpoint_now(self) -> StoredCheckpoint:
        """Integrate everything committed so far and sign the tree head."""
        with self._lock, self.availability.guard():
            while self._integrate():
                pass
            return self._sign()

    def health(self) -> dict[str, Any]:
        """How far the log is behind the ledger, its latest checkpoint, and the follower's state when this
        process runs it."""
        with self.availability.guard():
            log = self.log.get()
            position, size, latest = log.position(), log.size(), log.latest_checkpoint()
            head = self.store.get().head()
        out: dict[str, Any] = {
            "position": position,
            "head": head,
            "lag": max(head - position, 0),
            "tree_size": size,
            "checkpoint": None if latest is None else {"tree_size": latest.size, "signed_at": latest.signed_at},
        }
        if self.follower is not None:
            out |= {
                "follower": self.follower.name,
                "restarts": self.follower.restarts,
                "last_error": self.follower.last_error,
                "integrations": self.integrations,
                "integrated": self.integrated,
            }
        if self.witnessing is not None:
            out["witnesses"] = dict(self.witnessing.last)
        return out
