"""A witness (c2sp.org/tlog-witness), run by a body other than the log's operator (``esledger witness serve``):
its own key, its own small database of the latest checkpoint it cosigned for each log, and one rule — it
cosigns a checkpoint only when a consistency proof shows it extends the one it cosigned before. Since the
state is stored before the answer and updated by compare-and-swap, neither a restart nor concurrent or
replayed submissions can roll it back: once it cosigned one history, it refuses every other.

``POST /add-checkpoint``: 200 and the cosignature line; 400 malformed or ``old`` above the checkpoint's size;
403 no valid signature by a key it trusts for the origin; 404 unknown origin; 409 (``text/x.tlog.size``, its
size) when ``old`` is not the size it cosigned; 422 a proof that does not verify, or a different root at the
same size. ``GET /<sha256 hex of origin>/checkpoint``: the latest checkpoint it cosigned, with its
cosignature (the monitoring interface). Every refusal of a validly signed checkpoint is kept
(``witness_refusals``): it may be the evidence of a fork.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from esledger.core.database import connect, is_postgres, schema_of
from esledger.core.encoding import b64, unb64
from esledger.core.errors import ConfigurationError
from esledger.core.instants import format_instant, utc_now
from esledger.transparency import merkle
from esledger.transparency.checkpoint import CheckpointError, parse_checkpoint
from esledger.transparency.cosignature import Cosigner, cosign
from esledger.transparency.note import NoteError, parse_verifier_key, verify_note
from esledger.transparency.witnessing import SIZE_MEDIA_TYPE

logger = logging.getLogger("esledger.witness")

MAX_BODY = 64 * 1024
MAX_PROOF_LINES = 63
_OLD = re.compile(r"old (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class LogState:
    size: int
    root: bytes
    checkpoint: str


class WitnessStore:
    """The witness's own storage: an SQLite file or a PostgreSQL database (``?schema=`` honoured)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.postgres = is_postgres(database_url)
        if not self.postgres:
            parts = urlsplit(database_url)
            if parts.scheme != "sqlite":
                raise ConfigurationError(f"witness database {database_url!r}: use sqlite:///PATH or postgresql://…")
            self.path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.mark = "%s" if self.postgres else "?"
        blob = "BYTEA" if self.postgres else "BLOB"
        with self._cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS witness_logs (origin TEXT PRIMARY KEY, tree_size BIGINT NOT NULL, "
                f"root {blob} NOT NULL, checkpoint TEXT NOT NULL, cosigned_at TEXT NOT NULL)"
            )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS witness_refusals (origin TEXT NOT NULL, old_size BIGINT NOT NULL, "
                "tree_size BIGINT NOT NULL, status INTEGER NOT NULL, reason TEXT NOT NULL, "
                "checkpoint TEXT NOT NULL, received_at TEXT NOT NULL)"
            )

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """One transaction (SQLite: BEGIN IMMEDIATE, so the compare-and-swap is serialised)."""
        if self.postgres:
            with connect(self.url, 5) as conn, conn.cursor() as cur:
                schema = schema_of(self.url)
                cur.execute("SELECT set_config('search_path', %s, true)", (schema,))
                yield cur
            return
        lite = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            lite.execute("BEGIN IMMEDIATE")
            cursor = lite.cursor()
            try:
                yield cursor
            except BaseException:
                lite.execute("ROLLBACK")
                raise
            lite.execute("COMMIT")
        finally:
            lite.close()

    def state(self, origin: str) -> LogState | None:
        m = self.mark
        with self._cursor() as cur:
            cur.execute(f"SELECT tree_size, root, checkpoint FROM witness_logs WHERE origin = {m}", (origin,))
            row = cur.fetchone()
        return LogState(int(row[0]), bytes(row[1]), row[2]) if row else None

    def swap(self, origin: str, expected: LogState | None, new: LogState) -> bool:
        """Record ``new`` only if the stored state is still ``expected`` (compare-and-swap); False otherwise."""
        m = self.mark
        now = format_instant(utc_now())
        with self._cursor() as cur:
            if expected is None:
                cur.execute(
                    f"INSERT INTO witness_logs VALUES ({m}, {m}, {m}, {m}, {m}) ON CONFLICT (origin) DO NOTHING",
                    (origin, new.size, new.root, new.checkpoint, now),
                )
            else:
                cur.execute(
                    f"UPDATE witness_logs SET tree_size = {m}, root = {m}, checkpoint = {m}, cosigned_at = {m} "
                    f"WHERE origin = {m} AND tree_size = {m} AND root = {m}",
                    (new.size, new.root, new.checkpoint, now, origin, expected.size, expected.root),
                )
            return bool(cur.rowcount == 1)

    def refuse(self, origin: str, old: int, size: int, status: int, reason: str, checkpoint: str) -> None:
        m = self.mark
        with self._cursor() as cur:
            cur.execute(
                f"INSERT INTO witness_refusals VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m})",
                (origin, old, size, status, reason, checkpoint, format_instant(utc_now())),
            )

    def refusals(self, origin: str) -> list[tuple[int, int, int, str]]:
        """(old size, tree size, status, reason) of every refused, validly signed checkpoint of the log."""
        m = self.mark
        with self._cursor() as cur:
            cur.execute(
                f"SELECT old_size, tree_size, status, reason FROM witness_refusals WHERE origin = {m}", (origin,)
            )
            return [(int(a), int(b), int(c), d) for a, b, c, d in cur.fetchall()]


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    media_type: str = "text/plain; charset=utf-8"


class Witness:
    """The witness's rule, over its store: ``add_checkpoint(body)`` is the whole of the protocol."""

    def __init__(
        self,
        name: str,
        key: Ed25519PrivateKey,
        logs: Sequence[str],
        store: WitnessStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.key = key
        self.cosigner = Cosigner(name, key.public_key())
        self.logs: dict[str, list[str]] = {}
        for vkey in logs:
            self.logs.setdefault(parse_verifier_key(vkey).name, []).append(vkey.strip())
        self.store = store
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            old, proof, note = _parse_request(body)
        except ValueError as exc:
            return Answer(400, f"malformed add-checkpoint request: {exc}\n")
        origin = note.split("\n", 1)[0]
        keys = self.logs.get(origin)
        if keys is None:
            return Answer(404, f"unknown log {origin!r}: this witness is not configured for it\n")
        text = None
        for vkey in keys:
            try:
                text = verify_note(note, vkey)
                break
            except NoteError:
                continue
        if text is None:
            return Answer(403, f"no valid signature by a key this witness trusts for {origin!r}\n")
        try:
            checkpoint = parse_checkpoint(text)
        except CheckpointError as exc:
            return Answer(400, f"{exc}\n")
        if old > checkpoint.size:
            return Answer(400, f"old size {old} is above the checkpoint's size {checkpoint.size}\n")
        for _ in range(5):  # lost a compare-and-swap to a concurrent submission: decide again on the new state
            state = self.store.state(origin)
            answer = self._check(state, old, proof, checkpoint, note)
            if answer is not None:
                if answer.status in (409, 422):
                    self.store.refuse(origin, old, checkpoint.size, answer.status, answer.text.strip(), note)
                    logger.warning(
                        "refused a checkpoint",
                        extra={"origin": origin, "old": old, "tree_size": checkpoint.size, "why": answer.text.strip()},
                    )
                return answer
            line = cosign(text, self.name, self.key, max(1, int(self.clock())))
            if self.store.swap(origin, state, LogState(checkpoint.size, checkpoint.root, note_with(note, line))):
                return Answer(200, line)
        return Answer(503, "too many concurrent submissions for this log; try again\n")

    def _check(self, state: LogState | None, old: int, proof: list[bytes], checkpoint: Any, note: str) -> Answer | None:
        size = 0 if state is None else state.size
        if old != size:
            return Answer(409, f"{size}\n", SIZE_MEDIA_TYPE)
        if checkpoint.size == 0 and checkpoint.root != merkle.EMPTY_ROOT:
            return Answer(422, "a checkpoint of size 0 must have the empty tree's root\n")
        if old == 0:
            if proof:
                return Answer(422, "old size 0 takes no consistency proof\n")
            return None
        assert state is not None
        if old == checkpoint.size:
            if proof or checkpoint.root != state.root:
                return Answer(
                    422,
                    f"size {old}: root {b64(checkpoint.root)} differs from the root {b64(state.root)} this witness "
                    "cosigned: the log forked\n",
                )
            return None
        try:
            merkle.verify_consistency(old, checkpoint.size, state.root, checkpoint.root, proof)
        except merkle.ProofError as exc:
            return Answer(
                422,
                f"checkpoint {checkpoint.size} ({b64(checkpoint.root)}) is not proven consistent with size {old} "
                f"({b64(state.root)}) this witness cosigned: {exc}\n",
            )
        return None

    def latest(self, origin_hash: str) -> Answer:
        for origin in self.logs:
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                state = self.store.state(origin)
                if state is None:
                    break
                return Answer(200, state.checkpoint)
        return Answer(404, "this witness has cosigned no checkpoint of that log\n")


def note_with(note: str, line: str) -> str:
    return note + line


def _parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    if len(body) > MAX_BODY:
        raise ValueError(f"body over {MAX_BODY} bytes")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ValueError("no blank line before the checkpoint")
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if not match:
        raise ValueError(f"first line {lines[0][:40]!r} is not 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise ValueError(f"{len(lines) - 1} proof lines, more than {MAX_PROOF_LINES}")
    proof = []
    for number, line in enumerate(lines[1:], 2):
        h = unb64(line, f"line {number}:")
        if len(h) != merkle.HASH_SIZE:
            raise ValueError(f"line {number}: a proof hash has {merkle.HASH_SIZE} bytes, not {len(h)}")
        proof.append(h)
    return int(match.group(1)), proof, note


def witness_app(witness: Witness) -> Starlette:
    """The witness's HTTP interface (the store is blocking: Starlette runs sync endpoints in its thread pool)."""

    def _response(answer: Answer) -> Response:
        return PlainTextResponse(answer.text, status_code=answer.status, media_type=answer.media_type)

    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        from starlette.concurrency import run_in_threadpool

        return _response(await run_in_threadpool(witness.add_checkpoint, body))

    async def checkpoint(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        return _response(await run_in_threadpool(witness.latest, request.path_params["origin_hash"]))

    def key(_: Request) -> Response:
        return PlainTextResponse(witness.cosigner.verifier_key + "\n")

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/key", key, methods=["GET"]),
            Route("/{origin_hash:str}/checkpoint", checkpoint, methods=["GET"]),
        ]
    )
