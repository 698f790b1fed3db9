"""A monitor (``esledger monitor``): follows the log as an outside party would, with nothing but the public
HTTP interface, the log's published key and a reader's API key for the feed.

Each round it
1. reads the latest checkpoint each configured witness cosigned (their monitoring interface), then the log's;
2. checks the log's signature, and the new checkpoint against the last one it kept, by a consistency proof it
   computes itself from the log's tiles (c2sp.org/tlog-tiles): a different root at the same size, a smaller
   tree, or a proof that fails is a fork or a rewrite;
3. re-derives every leaf from the public feed (``GET /v1/events``; ``leaf.py``) and recomputes the root: a
   record missing from the feed or altered in it does not give the signed root, and the first leaf that
   differs from the log's own tile is named;
4. checks each witness's checkpoint against the tree the log shows (the same root at the witness's size):
   a log showing this monitor one history and the witnesses another is found here;
5. keeps every checkpoint it saw in its state file (JSON), so the next round, or a restart, checks against
   them.

Every alert names the sizes and roots involved; ``esledger monitor`` exits 1 on any.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from esledger.core.encoding import b64
from esledger.core.instants import format_instant, utc_now
from esledger.transparency import merkle
from esledger.transparency.checkpoint import Checkpoint, CheckpointError, parse_checkpoint, verify_checkpoint
from esledger.transparency.cosignature import split_note
from esledger.transparency.leaf import record_leaf_hash
from esledger.transparency.note import NoteError, parse_verifier_key
from esledger.transparency.tiles import Tile, TileError, TileReader
from esledger.transparency.witnessing import WitnessPolicy

FEED_PAGE = 1000


class MonitorError(Exception):
    """The monitor could not do its round (the log unreachable, a credential refused): not an alert."""


@dataclass
class Round:
    """What one round found: alerts (misbehaviour, each naming sizes and roots) and notes (information)."""

    size: int = 0
    root: str = ""
    alerts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class LogClient:
    """The log's public reads over HTTP."""

    def __init__(self, url: str, api_key: str | None, timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, **params: Any) -> httpx.Response:
        try:
            response = self.http.get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise MonitorError(f"GET {path}: {exc}") from exc
        if response.status_code != 200:
            raise MonitorError(f"GET {path}: HTTP {response.status_code} {response.text[:300]}")
        return response

    def checkpoint(self) -> str:
        return self._get("/v1/log/checkpoint").text

    def tile(self, tile: Tile) -> bytes:
        return self._get("/v1/log/" + tile.path()).content

    def feed(self) -> Iterator[dict[str, Any]]:
        after = 0
        while True:
            page = self._get("/v1/events", after=after, limit=FEED_PAGE).json()
            yield from page["records"]
            if not page["records"] or page["next_after"] >= page["head"]:
                return
            after = page["next_after"]


def witness_checkpoint(url: str, origin: str, timeout: float = 10.0) -> str | None:
    """The latest checkpoint a witness cosigned for the log (its monitoring interface); None if none."""
    path = url.rstrip("/") + f"/{hashlib.sha256(origin.encode()).hexdigest()}/checkpoint"
    try:
        response = httpx.get(path, timeout=timeout)
    except httpx.HTTPError as exc:
        raise MonitorError(f"witness {url}: {exc}") from exc
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise MonitorError(f"witness {url}: HTTP {response.status_code} {response.text[:200]}")
    return response.text


def _desc(size: int, root: bytes | str) -> str:
    return f"size {size} root {root if isinstance(root, str) else b64(root)}"


class Monitor:
    def __init__(
        self,
        client: LogClient,
        log_key: str,
        state_file: Path,
        policy: WitnessPolicy | None = None,
        witness_fetch: Callable[[str, str], str | None] = witness_checkpoint,
    ) -> None:
        self.client = client
        self.log_key = log_key
        self.state_file = state_file
        self.policy = policy
        self.witness_fetch = witness_fetch
        self.state = self._load()

    def _load(self) -> dict[str, Any]:
        if self.state_file.exists():
            return dict(orjson.loads(self.state_file.read_bytes()))
        return {"format": "esledger-monitor/1", "checkpoints": []}

    def _save(self) -> None:
        aside = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.new")
        aside.write_bytes(orjson.dumps(self.state, option=orjson.OPT_INDENT_2))
        os.replace(aside, self.state_file)

    @property
    def kept(self) -> list[Checkpoint]:
        return [parse_checkpoint(split_note(c["note"])[0]) for c in self.state["checkpoints"]]

    def check_once(self) -> Round:
        result = Round()
        # the witnesses first: an honest log's checkpoint, read after, is never older than what they cosigned
        seen_by_witnesses = self._witness_checkpoints(parse_verifier_key(self.log_key).name, result)
        note = self.client.checkpoint()
        try:
            cp = verify_checkpoint(note, self.log_key)
        except (NoteError, CheckpointError) as exc:
            result.alerts.append(f"the log's checkpoint does not verify with its key: {exc}")
            return result
        result.size, result.root = cp.size, b64(cp.root)
        reader = TileReader(cp.size, self._tile)
        self._against_kept(cp, reader, result)
        self._rederive(cp, reader, result)
        for name, wcp in seen_by_witnesses:
            self._against_witness(name, wcp, cp, reader, result)
        if self.policy is not None:
            result.notes.append(str(self.policy.evaluate(note)))
        if not any(c["note"] == note for c in self.state["checkpoints"]):
            self.state["checkpoints"].append(
                {"size": cp.size, "root": b64(cp.root), "note": note, "seen_at": format_instant(utc_now())}
            )
        self.state.setdefault("alerts", []).extend(result.alerts)
        self._save()
        return result

    def _tile(self, tile: Tile) -> bytes:
        return self.client.tile(tile)

    def _witness_checkpoints(self, origin: str, result: Round) -> list[tuple[str, Checkpoint]]:
        out: list[tuple[str, Checkpoint]] = []
        for witness in self.policy.witnesses if self.policy else ():
            if not witness.url:
                continue
            try:
                note = self.witness_fetch(witness.url, origin)
            except MonitorError as exc:
                result.notes.append(f"witness {witness.name} not reachable: {exc}")
                continue
            if note is None:
                continue
            try:
                cp = verify_checkpoint(note, self.log_key)
            except (NoteError, CheckpointError) as exc:
                result.notes.append(f"witness {witness.name} serves a checkpoint the log's key does not verify: {exc}")
                continue
            if witness.name not in (self.policy.evaluate(note).cosigned_by if self.policy else ()):
                result.notes.append(f"witness {witness.name} serves a checkpoint without its valid cosignature")
                continue
            out.append((witness.name, cp))
        return out

    def _against_kept(self, cp: Checkpoint, reader: TileReader, result: Round) -> None:
        kept = self.kept
        if not kept:
            return
        last = max(kept, key=lambda c: c.size)
        same = [k for k in kept if k.size == cp.size]
        if same and same[0].root != cp.root:
            result.alerts.append(
                f"FORK: the log now shows {_desc(cp.size, cp.root)}; this monitor kept {_desc(cp.size, same[0].root)}"
            )
            return
        if same and cp.size < last.size:
            result.notes.append(
                f"the log shows {_desc(cp.size, cp.root)}, one this monitor kept, older than "
                f"{_desc(last.size, last.root)}"
            )
            return
        if cp.size < last.size:
            result.alerts.append(
                f"ROLLBACK: the log now shows {_desc(cp.size, cp.root)}, smaller than {_desc(last.size, last.root)} "
                "this monitor kept"
            )
            return
        try:
            proof = merkle.consistency_proof(last.size, cp.size, reader)
            merkle.verify_consistency(last.size, cp.size, last.root, cp.root, proof)
        except (merkle.ProofError, TileError, LookupError) as exc:
            result.alerts.append(
                f"FORK or REWRITE: {_desc(cp.size, cp.root)} is not consistent with {_desc(last.size, last.root)} "
                f"this monitor kept: {exc}"
            )

    def _rederive(self, cp: Checkpoint, reader: TileReader, result: Round) -> None:
        tree = merkle.CompactRange()
        derived: list[tuple[bytes, dict[str, Any]]] = []
        for record in self.client.feed():
            if tree.size == cp.size:
                break
            try:
                h = record_leaf_hash(record)
            except ValueError as exc:
                result.alerts.append(f"feed record at position {record.get('position')}: {exc}")
                return
            tree, _ = tree.append(h)
            derived.append((h, record))
        if tree.root() == cp.root and tree.size == cp.size:
            result.notes.append(f"{cp.size} leaves re-derived from the feed give the signed root")
            return
        # name the first leaf that differs from the log's own level-0 tiles
        for i, (h, record) in enumerate(derived):
            try:
                logged = reader.node(0, i)
            except (TileError, LookupError, MonitorError):
                break
            if logged != h:
                result.alerts.append(
                    f"REWRITE or MISSING ENTRY: leaf {i} re-derived from the feed (position {record.get('position')}, "
                    f"case {record.get('case_id')!r} version {record.get('case_version')}) hashes to {b64(h)}, the "
                    f"log's tile has {b64(logged)}; checkpoint {_desc(cp.size, cp.root)}"
                )
                return
        if tree.size < cp.size:
            last = derived[-1][1].get("position") if derived else 0
            result.alerts.append(
                f"MISSING ENTRIES: checkpoint {_desc(cp.size, cp.root)} has {cp.size} leaves; the feed shows only "
                f"{tree.size} (up to position {last})"
            )
            return
        result.alerts.append(
            f"REWRITE: the {cp.size} leaves re-derived from the feed give root {b64(tree.root())}, not the signed "
            f"{_desc(cp.size, cp.root)}"
        )

    def _against_witness(self, name: str, wcp: Checkpoint, cp: Checkpoint, reader: TileReader, result: Round) -> None:
        if wcp.size > cp.size:
            result.alerts.append(
                f"SPLIT VIEW: witness {name} cosigned {_desc(wcp.size, wcp.root)}, beyond the log's checkpoint "
                f"{_desc(cp.size, cp.root)} shown to this monitor"
            )
            return
        try:
            mine = merkle.root(wcp.size, reader) if wcp.size else merkle.EMPTY_ROOT
        except (TileError, LookupError) as exc:
            result.notes.append(f"witness {name}: cannot compute the root at size {wcp.size} from tiles: {exc}")
            return
        if mine != wcp.root:
            result.alerts.append(
                f"SPLIT VIEW: witness {name} cosigned {_desc(wcp.size, wcp.root)}; the log shown to this monitor has "
                f"{_desc(wcp.size, mine)} at that size (its checkpoint: {_desc(cp.size, cp.root)})"
            )


def run(monitor: Monitor, once: bool, interval: float, report: Callable[[Round], None]) -> int:
    """Rounds until an alert (exit status 1), or one round with ``once`` (0 when clean)."""
    while True:
        result = monitor.check_once()
        report(result)
        if result.alerts:
            return 1
        if once:
            return 0
        time.sleep(interval)
