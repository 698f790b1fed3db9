"""The Merkle log's storage: leaves in commit order, the perfect-subtree nodes proofs read, and signed
checkpoints. Integrating a batch of ledger events (leaves + completed nodes) is committed in the same
transaction as the tracking position it reflects, so the log holds every case entry exactly once, in the
ledger's commit order, whatever restarts or concurrent sequencers do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from esledger.core.append_only import postgres_append_only, sqlite_append_only
from esledger.core.tables import PostgresTables, SQLiteTables, Tables, ddl
from esledger.transparency import merkle
from esledger.transparency.merkle import CompactRange, NodeReader

TRACKING_NAME = "Ledger/merkle-log"
"""The log's key in the tracking table (on SQLite that table is shared with the read model's position)."""
TABLE = "merklelog_tracking"
"""The tracking table on PostgreSQL."""


def _statements(
    leaves: str, nodes: str, checkpoints: str, cosignatures: str, mark: str, blob: str, pairs: str
) -> dict[str, str]:
    """The log's statements on one backend; ``pairs`` reads a JSON array of [level, index] pairs as rows."""
    m = mark
    return {
        "create_leaves": f"CREATE TABLE IF NOT EXISTS {leaves} (leaf_index BIGINT PRIMARY KEY, "
        f"position BIGINT NOT NULL UNIQUE, leaf_hash {blob} NOT NULL)",
        "create_nodes": f"CREATE TABLE IF NOT EXISTS {nodes} (level INTEGER NOT NULL, idx BIGINT NOT NULL, "
        f"hash {blob} NOT NULL, PRIMARY KEY (level, idx))",
        "create_checkpoints": f"CREATE TABLE IF NOT EXISTS {checkpoints} (tree_size BIGINT PRIMARY KEY, "
        f"root {blob} NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL)",
        "create_cosignatures": f"CREATE TABLE IF NOT EXISTS {cosignatures} (tree_size BIGINT NOT NULL, "
        f"witness TEXT NOT NULL, line TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (tree_size, witness))",
        "size": f"SELECT MAX(leaf_index) FROM {leaves}",
        "node_range": f"SELECT idx, hash FROM {nodes} WHERE level = {m} AND idx >= {m} AND idx < {m} ORDER BY idx",
        "insert_cosignature": f"INSERT INTO {cosignatures} VALUES ({m}, {m}, {m}, {m})",
        "cosignatures": f"SELECT witness, line, received_at FROM {cosignatures} WHERE tree_size = {m} ORDER BY witness",
        "witness_sizes": f"SELECT witness, MAX(tree_size) FROM {cosignatures} GROUP BY witness",
        "cosigned_sizes": f"SELECT tree_size, COUNT(*) FROM {cosignatures} WHERE tree_size <= {m} "
        f"GROUP BY tree_size ORDER BY tree_size DESC LIMIT {m}",
        "insert_leaf": f"INSERT INTO {leaves} VALUES ({m}, {m}, {m})",
        "insert_node": f"INSERT INTO {nodes} VALUES ({m}, {m}, {m})",
        "node": f"SELECT hash FROM {nodes} WHERE level = {m} AND idx = {m}",
        "nodes": f"SELECT level, idx, hash FROM {nodes} WHERE (level, idx) IN ({pairs})",
        "leaf_at_position": f"SELECT leaf_index, leaf_hash FROM {leaves} WHERE position = {m}",
        "leaves": f"SELECT leaf_index, position, leaf_hash FROM {leaves} WHERE leaf_index >= {m} "
        f"AND leaf_index < {m} ORDER BY leaf_index",
        "insert_checkpoint": f"INSERT INTO {checkpoints} VALUES ({m}, {m}, {m}, {m})",
        "latest_checkpoint": f"SELECT tree_size, root, note, signed_at FROM {checkpoints} "
        f"ORDER BY tree_size DESC LIMIT 1",
        "checkpoints": f"SELECT tree_size, root, note, signed_at FROM {checkpoints} WHERE tree_size <= {m} "
        f"ORDER BY tree_size DESC LIMIT {m}",
        "checkpoint": f"SELECT tree_size, root, note, signed_at FROM {checkpoints} WHERE tree_size = {m}",
    }


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str


@dataclass(frozen=True)
class Leaf:
    index: int
    position: int
    hash: bytes


class _CursorReader:
    """Reads nodes in one transaction (inside the integrating one, so the frontier is the one being
    extended); the nodes a proof will need can be read at once beforehand (``prefetch``), in one query."""

    def __init__(self, log: MerkleStore, cursor: Any) -> None:
        self.log, self.cursor = log, cursor
        self.known: dict[tuple[int, int], bytes] = {}

    def prefetch(self, keys: Iterable[tuple[int, int]]) -> None:
        wanted = sorted(set(keys) - self.known.keys())
        if wanted:
            rows = self.log._execute(self.cursor, "nodes", (orjson.dumps(wanted).decode(),))
            self.known.update({(int(level), int(idx)): bytes(h) for level, idx, h in rows})

    def node(self, level: int, index: int) -> bytes:
        if (level, index) in self.known:
            return self.known[(level, index)]
        rows = self.log._execute(self.cursor, "node", (level, index))
        if not rows:
            raise LookupError(f"no stored node ({level}, {index})")
        return bytes(rows[0][0])


class MerkleStore(Tables):
    _insert_tracking: Any

    def integrate(self, leaves: Sequence[tuple[int, bytes]], tracking: Tracking) -> int:
        """Append (position, leaf hash) pairs as the next leaves; returns the new tree size, or -1 when the
        tracking position shows this batch was integrated before (nothing changes then)."""
        try:
            with self._transaction(commit=True) as cursor:
                self._insert_tracking(cursor, tracking)
                tree = CompactRange.load(self._size(cursor), _CursorReader(self, cursor))
                leaf_rows, node_rows = [], []
                for position, h in leaves:
                    leaf_rows.append((tree.size, position, h))
                    tree, nodes = tree.append(h)
                    node_rows += [(n.level, n.index, n.hash) for n in nodes]
                self._execute_many(cursor, "insert_leaf", leaf_rows)
                self._execute_many(cursor, "insert_node", node_rows)
                return tree.size
        except IntegrityError:
            return -1

    def _size(self, cursor: Any) -> int:
        top = self._execute(cursor, "size")[0][0]
        return 0 if top is None else int(top) + 1

    def size(self) -> int:
        with self._transaction(commit=False) as cursor:
            return self._size(cursor)

    def node(self, level: int, index: int) -> bytes:
        with self._transaction(commit=False) as cursor:
            return _CursorReader(self, cursor).node(level, index)

    @contextmanager
    def reading(self, needed: Iterable[tuple[int, int]] = ()) -> Iterator[NodeReader]:
        """Node reads on one connection in one transaction; the ``needed`` nodes (``merkle.*_nodes``) read in
        one query first, so a proof at a million leaves costs one round trip, not forty."""
        with self._transaction(commit=False) as cursor:
            reader = _CursorReader(self, cursor)
            reader.prefetch(needed)
            yield reader

    def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """The root of the tree of ``size`` leaves and leaf ``index``'s inclusion path in it (RFC 9162), from
        one read of the nodes they need."""
        with self.reading(merkle.root_nodes(size) + merkle.inclusion_nodes(index, size)) as nodes:
            return merkle.root(size, nodes), merkle.inclusion_proof(index, size, nodes)

    def consistency(self, first: int, second: int) -> tuple[bytes, bytes, list[bytes]]:
        """Both roots and the consistency path between the trees of ``first`` and ``second`` leaves, from one
        read of the nodes they need."""
        needed = merkle.root_nodes(first) + merkle.root_nodes(second) + merkle.consistency_nodes(first, second)
        with self.reading(needed) as nodes:
            return merkle.root(first, nodes), merkle.root(second, nodes), merkle.consistency_proof(first, second, nodes)

    def leaf_at(self, position: int) -> Leaf | None:
        with self._transaction(commit=False) as cursor:
            rows = self._execute(cursor, "leaf_at_position", (position,))
        return Leaf(int(rows[0][0]), position, bytes(rows[0][1])) if rows else None

    def leaves(self, start: int, end: int) -> list[Leaf]:
        with self._transaction(commit=False) as cursor:
            rows = self._execute(cursor, "leaves", (start, end))
        return [Leaf(int(i), int(p), bytes(h)) for i, p, h in rows]

    def position(self) -> int:
        """The last ledger position integrated."""
        return self.max_tracking_id(TRACKING_NAME) or 0  # type: ignore[attr-defined]

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        """Store a signed tree head; False if one of that size exists already."""
        try:
            with self._transaction(commit=True) as cursor:
                self._execute(
                    cursor,
                    "insert_checkpoint",
                    (checkpoint.size, checkpoint.root, checkpoint.note, checkpoint.signed_at),
                )
        except IntegrityError:
            return False
        return True

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self._transaction(commit=False) as cursor:
            rows = self._execute(cursor, "latest_checkpoint")
        return _checkpoint(rows[0]) if rows else None

    def checkpoint(self, size: int) -> StoredCheckpoint | None:
        with self._transaction(commit=False) as cursor:
            rows = self._execute(cursor, "checkpoint", (size,))
        return _checkpoint(rows[0]) if rows else None

    def checkpoints(self, at_most: int, limit: int) -> list[StoredCheckpoint]:
        """Checkpoints of size <= ``at_most``, newest first."""
        with self._transaction(commit=False) as cursor:
            return [_checkpoint(r) for r in self._execute(cursor, "checkpoints", (at_most, limit))]

    def node_range(self, level: int, start: int, end: int) -> list[bytes]:
        """The stored perfect nodes ``(level, start) .. (level, end - 1)`` that exist, in order (a tile)."""
        with self._transaction(commit=False) as cursor:
            rows = self._execute(cursor, "node_range", (level, start, end))
        return [bytes(h) for i, (idx, h) in enumerate(rows) if int(idx) == start + i]

    def add_cosignature(self, size: int, witness: str, line: str, received_at: str) -> bool:
        """Keep a witness's verified cosignature of the checkpoint of ``size``; False if one is kept already."""
        try:
            with self._transaction(commit=True) as cursor:
                self._execute(cursor, "insert_cosignature", (size, witness, line, received_at))
        except IntegrityError:
            return False
        return True

    def cosignatures(self, size: int) -> dict[str, str]:
        """The kept cosignature lines of the checkpoint of ``size``, by witness name."""
        with self._transaction(commit=False) as cursor:
            return {w: line for w, line, _ in self._execute(cursor, "cosignatures", (size,))}

    def witness_sizes(self) -> dict[str, int]:
        """The largest checkpoint each witness cosigned (what the log sends as ``old`` next)."""
        with self._transaction(commit=False) as cursor:
            return {w: int(n) for w, n in self._execute(cursor, "witness_sizes")}

    def cosigned_sizes(self, at_most: int, limit: int) -> list[tuple[int, int]]:
        """(tree size, number of cosignatures) of cosigned checkpoints up to ``at_most``, newest first."""
        with self._transaction(commit=False) as cursor:
            return [(int(n), int(c)) for n, c in self._execute(cursor, "cosigned_sizes", (at_most, limit))]

    def close(self) -> None:
        """Nothing to release: the datastore is the ledger store's, which closes it."""


def _checkpoint(row: tuple[Any, ...]) -> StoredCheckpoint:
    return StoredCheckpoint(int(row[0]), bytes(row[1]), row[2], row[3])


TABLES = ("merkle_leaves", "merkle_nodes", "merkle_checkpoints", "merkle_cosignatures")


class SQLiteMerkleStore(MerkleStore, SQLiteTables, SQLiteTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        self.datastore = datastore  # the library builds its CREATE statements in __init__, so bind first
        pairs = f"SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each({self.mark})"
        self._bind(_statements(*TABLES, self.mark, "BLOB", pairs))
        super().__init__(datastore, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *self._create_statements(),
            *(t for table in TABLES for t in sqlite_append_only(table)),
        ]


class PostgresMerkleStore(MerkleStore, PostgresTables, PostgresTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        leaves, nodes, checkpoints, cosignatures = (self.table(datastore, n) for n in TABLES)
        pairs = f"SELECT (e->>0)::integer, (e->>1)::bigint FROM jsonb_array_elements({self.mark}::jsonb) AS e"
        self._bind(_statements(leaves, nodes, checkpoints, cosignatures, self.mark, "BYTEA", pairs))
        self.sql_create_statements.extend(
            ddl(t) for table in TABLES for t in postgres_append_only(datastore.schema, table)
        )
