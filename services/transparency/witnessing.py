"""The log's side of witnessing (c2sp.org/tlog-witness): the witnesses and the policy as data, submitting each
new checkpoint with a consistency proof from the size each witness last cosigned, keeping their cosignatures,
and deciding when a checkpoint counts as published (a quorum of the configured witnesses cosigned it).

Policy file (JSON; ``ESLEDGER_WITNESS_POLICY_FILE``, and ``esledger verify --witnesses``)::

    {"quorum": 2,
     "witnesses": [
       {"key": "<witness verifier key, type 0x04>", "url": "https://witness.example/", "organ": "荆州市司法局"},
       ...]}

``url`` is the witness's submission prefix (the log POSTs to ``<url>/add-checkpoint``); a verifier needs only
the keys and the quorum. Submission runs in a thread of its own after the sequencer signs, outside any
database transaction, each request bounded by ``ESLEDGER_WITNESS_TIMEOUT_SECONDS``: a witness that is down or
slow delays nothing but its own cosignature.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from esledger.core.availability import Availability
from esledger.core.encoding import b64
from esledger.core.errors import ConfigurationError
from esledger.core.instants import Clock, format_instant
from esledger.core.storage import Handle
from esledger.transparency import merkle
from esledger.transparency.checkpoint import parse_checkpoint
from esledger.transparency.cosignature import (
    Cosignature,
    Cosigner,
    cosignatures,
    parse_cosigner,
    split_note,
    verify_line,
)
from esledger.transparency.logstore import MerkleStore, StoredCheckpoint
from esledger.transparency.note import NoteError

logger = logging.getLogger("esledger.transparency")

SIZE_MEDIA_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Witness:
    cosigner: Cosigner
    url: str | None = None
    organ: str | None = None

    @property
    def name(self) -> str:
        return self.cosigner.name


@dataclass(frozen=True)
class PolicyResult:
    """Whether a checkpoint meets the policy, and by whose cosignatures."""

    quorum: int
    of: int
    cosigned_by: tuple[str, ...]
    problems: tuple[str, ...] = ()

    @property
    def satisfied(self) -> bool:
        return len(self.cosigned_by) >= self.quorum

    def __str__(self) -> str:
        by = ", ".join(self.cosigned_by) or "none"
        verdict = "satisfied" if self.satisfied else "NOT satisfied"
        return (
            f"witness policy {verdict}: {len(self.cosigned_by)} of {self.quorum} required "
            f"({self.of} configured) cosigned: {by}"
        )


@dataclass(frozen=True)
class WitnessPolicy:
    quorum: int
    witnesses: tuple[Witness, ...] = field(default_factory=tuple)

    @property
    def cosigners(self) -> list[Cosigner]:
        return [w.cosigner for w in self.witnesses]

    def evaluate(self, note: str) -> PolicyResult:
        """Count the valid cosignatures of the configured witnesses on a signed checkpoint note."""
        found = cosignatures(note, self.cosigners)
        return PolicyResult(self.quorum, len(self.witnesses), tuple(sorted(found)))


def parse_policy(document: Mapping[str, Any], where: str = "witness policy") -> WitnessPolicy:
    try:
        witnesses = tuple(
            Witness(parse_cosigner(w["key"]), w.get("url"), w.get("organ")) for w in document.get("witnesses", [])
        )
        quorum = int(document["quorum"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigurationError(
            f"{where}: {exc!r}; expected {{'quorum': k, 'witnesses': [{{'key': vkey, 'url': …}}]}}"
        ) from exc
    names = [w.name for w in witnesses]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{where}: a witness is listed twice")
    if not 1 <= quorum <= len(witnesses):
        raise ConfigurationError(f"{where}: quorum {quorum} is outside 1..{len(witnesses)} (the witnesses listed)")
    return WitnessPolicy(quorum, witnesses)


def load_witness_policy(path: Path) -> WitnessPolicy:
    try:
        document = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigurationError(f"witness policy {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigurationError(f"witness policy {path}: expected a JSON object")
    return parse_policy(document, f"witness policy {path}")


def request_body(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The add-checkpoint body: ``old <size>``, the proof lines, a blank line, the checkpoint."""
    return (f"old {old_size}\n" + "".join(b64(h) + "\n" for h in proof) + "\n" + note).encode()


def accept_response(note: str, text: str, witness: Witness) -> Cosignature:
    """The witness's cosignature from a 200 body of signature lines (lines by other keys ignored)."""
    body, _ = split_note(note)
    for line in text.split("\n"):
        if line and (found := verify_line(body, line, witness.cosigner)) is not None:
            return found
    raise NoteError(f"witness {witness.name} answered 200 without a cosignature by its key")


class Witnessing:
    """Submits checkpoints to the policy's witnesses and keeps their cosignatures in the log's store."""

    def __init__(
        self,
        log: Handle[MerkleStore],
        availability: Availability,
        policy: WitnessPolicy,
        clock: Clock,
        *,
        timeout_seconds: float = 5.0,
        retry_seconds: float = 30.0,
        transport: Callable[[str], httpx.BaseTransport | None] = lambda url: None,
    ) -> None:
        self.log = log
        self.availability = availability
        self.policy = policy
        self.clock = clock
        self.timeout_seconds = timeout_seconds
        self.retry_seconds = retry_seconds
        self.transport = transport
        self.known: dict[str, int] = {}
        """Each witness's size as it last told us (a 409, or a cosignature)."""
        self.last: dict[str, str] = {}
        """Each witness's last outcome, for health and messages."""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- one checkpoint -------------------------------------------------------------------------------------
    def submit(self, checkpoint: StoredCheckpoint) -> dict[str, str]:
        """Ask every witness that has not cosigned this checkpoint yet; each one's outcome by name."""
        with self._lock:
            with self.availability.guard():
                log = self.log.get()
                have = log.cosignatures(checkpoint.size)
                sizes = log.witness_sizes()
            for witness in self.policy.witnesses:
                if witness.name in have:
                    self.last[witness.name] = f"cosigned {checkpoint.size}"
                    continue
                if not witness.url:
                    self.last[witness.name] = "no url configured"
                    continue
                old = self.known.get(witness.name, sizes.get(witness.name, 0))
                self.last[witness.name] = self._submit_one(witness, checkpoint, old)
            return dict(self.last)

    def _submit_one(self, witness: Witness, checkpoint: StoredCheckpoint, old: int) -> str:
        url = witness.url.rstrip("/") + "/add-checkpoint"  # type: ignore[union-attr]
        try:
            with httpx.Client(timeout=self.timeout_seconds, transport=self.transport(url)) as client:
                for _ in range(3):  # a 409 tells the witness's size: retry once from it (or twice if it moved)
                    if old > checkpoint.size:
                        return self._refused(
                            witness, checkpoint, f"the witness has cosigned size {old}, larger than this checkpoint"
                        )
                    needed = merkle.consistency_nodes(old, checkpoint.size)
                    with self.availability.guard(), self.log.get().reading(needed) as nodes:
                        proof = merkle.consistency_proof(old, checkpoint.size, nodes)
                    response = client.post(url, content=request_body(old, proof, checkpoint.note))
                    if response.status_code == 409 and response.headers.get("content-type", "").startswith(
                        SIZE_MEDIA_TYPE
                    ):
                        old = int(response.text.strip())
                        self.known[witness.name] = old
                        continue
                    if response.status_code != 200:
                        return self._refused(
                            witness, checkpoint, f"HTTP {response.status_code} from old {old}: {response.text[:300]}"
                        )
                    cosignature = accept_response(checkpoint.note, response.text, witness)
                    with self.availability.guard():
                        self.log.get().add_cosignature(
                            checkpoint.size, witness.name, cosignature.line, format_instant(self.clock())
                        )
                    self.known[witness.name] = checkpoint.size
                    return f"cosigned {checkpoint.size}"
        except (httpx.HTTPError, NoteError, ValueError) as exc:
            logger.warning("witness unreachable or unreadable", extra={"witness": witness.name, "error": str(exc)})
            return f"error: {exc}"
        return self._refused(witness, checkpoint, "the witness's size kept changing")

    def _refused(self, witness: Witness, checkpoint: StoredCheckpoint, why: str) -> str:
        root = b64(checkpoint.root)
        logger.error(
            "witness refused the log's checkpoint",
            extra={"witness": witness.name, "tree_size": checkpoint.size, "root": root, "why": why},
        )
        return f"refused checkpoint {checkpoint.size} ({root}): {why}"

    # -- in the background ----------------------------------------------------------------------------------
    def notify(self) -> None:
        """A checkpoint was signed: submit it now (from the background thread)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="witnessing", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.timeout_seconds * 2 + 1)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.retry_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.submit_latest()
            except Exception:  # a database outage: the next wake or the retry tries again, never stalls silently
                logger.warning("witness submission failed; retrying", exc_info=True)

    def submit_latest(self) -> dict[str, str]:
        with self.availability.guard():
            latest = self.log.get().latest_checkpoint()
        return self.submit(latest) if latest is not None else {}


def cosigned_note(log: MerkleStore, checkpoint: StoredCheckpoint) -> str:
    """The checkpoint note with every kept cosignature line appended (the C2SP way of serving it)."""
    lines = log.cosignatures(checkpoint.size)
    return checkpoint.note + "".join(line + "\n" for line in lines.values())


def published(
    log: MerkleStore, policy: WitnessPolicy, at_most: int | None = None
) -> tuple[StoredCheckpoint, str] | None:
    """The newest checkpoint whose kept cosignatures meet the policy, and its cosigned note."""
    for size, count in log.cosigned_sizes(at_most if at_most is not None else 2**62, 1000):
        if count < policy.quorum:
            continue
        checkpoint = log.checkpoint(size)
        if checkpoint is None:
            continue
        note = cosigned_note(log, checkpoint)
        if policy.evaluate(note).satisfied:
            return checkpoint, note
    return None


def root_of(note: str) -> str:
    """``size root`` of a checkpoint note, for messages."""
    body, _ = split_note(note)
    cp = parse_checkpoint(body)
    return f"{cp.size} {b64(cp.root)}"
