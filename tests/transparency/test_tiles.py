"""C2SP tlog-tiles: the spec's path and tile-set examples, proofs computed from tiles equal to the stored
proofs, and the served tiles and entry bundles of a real log (both backends) giving the proof endpoints' answers."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from esledger.core.encoding import b64, unb64
from esledger.transparency import merkle
from esledger.transparency.leaf import leaf_bytes
from esledger.transparency.merkle import MemoryTree, leaf_hash
from esledger.transparency.tiles import (
    Tile,
    TileError,
    TileReader,
    entry_bundle,
    parse_entry_bundle,
    parse_tile_path,
    split_hashes,
    tile_path,
    tiles_for_size,
)
from tests.helpers import BATCH, body, received


def test_tile_paths_from_the_spec() -> None:
    # c2sp.org/tlog-tiles, "Merkle Tree": index 1234067 is encoded as x001/x234/067
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert parse_tile_path("tile/0/x001/x234/067") == Tile(0, 1234067)
    assert tile_path(2, 5, 17) == "tile/2/005.p/17"
    assert parse_tile_path("tile/entries/x001/234.p/5") == Tile(None, 1234, 5)
    assert tile_path(None, 0) == "tile/entries/000"
    for index in (0, 1, 999, 1000, 1001, 999999, 1000000, 2**64 - 1):
        assert parse_tile_path(tile_path(3, index)).index == index


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1234067",
        "tile/0/x001/234/067",
        "tile/0/001/x234",
        "tile/00/000",
        "tile/64/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/01",
        "tile/0/x000/001",
        "tile/data/000",
        "tile/0/-01",
        "tile/0",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TileError):
        parse_tile_path(path)


def test_the_tiles_of_a_tree_from_the_spec_examples() -> None:
    # c2sp.org/tlog-tiles, "Partial Tiles": a tree of 70,000 leaves has 273 full level-0 tiles, a level-0 tile of
    # width 112, one full level-1 tile, a level-1 tile of width 17 and a level-2 tile of width 1; a tree of 256
    # leaves has a full level-0 tile and a level-1 tile of width 1.
    tiles = tiles_for_size(70000)
    assert [t for t in tiles if t.level == 0 and t.full] == [Tile(0, i) for i in range(273)]
    assert [t.path() for t in tiles if not (t.level == 0 and t.full)] == [
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ]
    assert tiles_for_size(256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles_for_size(0) == []


def _served(tree: MemoryTree):  # the tiles a server holding these nodes serves
    def fetch(tile: Tile) -> bytes:
        assert tile.level is not None
        return b"".join(tree.node(8 * tile.level, tile.start + i) for i in range(tile.width))

    return fetch


@pytest.mark.parametrize("size", [1, 2, 7, 255, 256, 257, 511, 512, 1000, 65536 + 300])
def test_proofs_from_tiles_equal_proofs_from_stored_nodes(size: int) -> None:
    tree = MemoryTree(leaf_hash(i.to_bytes(4, "big")) for i in range(size))
    reader = TileReader(size, _served(tree))
    assert merkle.root(size, reader) == merkle.root(size, tree)
    for index in {0, size // 3, size - 1}:
        assert merkle.inclusion_proof(index, size, reader) == merkle.inclusion_proof(index, size, tree)
    for old in {1, size // 2, size - 1} - {0}:
        assert merkle.consistency_proof(old, size, reader) == merkle.consistency_proof(old, size, tree)


def test_entry_bundles_are_uint16_length_prefixed() -> None:
    assert entry_bundle([b"ab", b""]) == b"\x00\x02ab\x00\x00"
    assert parse_entry_bundle(b"\x00\x02ab\x00\x00") == [b"ab", b""]
    with pytest.raises(TileError):
        entry_bundle([b"x" * 65536])


async def _tiles(client: AsyncClient, size: int) -> dict[str, bytes]:
    out = {}
    for tile in tiles_for_size(size):
        response = await client.get(f"/v1/log/{tile.path()}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/octet-stream"
        cache = response.headers["cache-control"]
        assert ("immutable" in cache) == tile.full, (tile.path(), cache)
        out[tile.path()] = response.content
    return out


async def test_served_tiles_give_the_proof_endpoints_answers(client: AsyncClient) -> None:
    events = [received(f"GR-TILE-{i:04d}") for i in range(300)]
    posted = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
    assert posted.status_code in (200, 201), posted.text
    checkpoint = (await client.post("/v1/checkpoints")).json()
    size = checkpoint["tree_size"]
    assert size >= 300
    served = await _tiles(client, size)
    reader = TileReader(size, lambda tile: served[tile.path()])
    assert b64(merkle.root(size, reader)) == checkpoint["root_hash"]

    feed = (await client.get("/v1/events", params={"limit": 1000})).json()["records"]
    for record in (feed[0], feed[255], feed[256], feed[-1]):
        proof = (await client.get("/v1/proofs/inclusion", params={"position": record["position"]})).json()
        assert [b64(h) for h in merkle.inclusion_proof(proof["leaf_index"], size, reader)] == proof["inclusion_path"]
    for old in (1, 100, 256, size - 1):
        proof = (await client.get("/v1/proofs/consistency", params={"from": old, "to": size})).json()
        assert [b64(h) for h in merkle.consistency_proof(old, size, reader)] == proof["consistency_path"]

    # entry bundles: each entry is the leaf's bytes, hashing to the level-0 tile's hashes
    full = await client.get("/v1/log/tile/entries/000")
    assert full.status_code == 200 and "immutable" in full.headers["cache-control"]
    entries = parse_entry_bundle(full.content)
    assert [leaf_hash(e) for e in entries] == split_hashes(served["tile/0/000"])
    assert entries[0] == leaf_bytes(feed[0])
    partial = await client.get(f"/v1/log/tile/entries/001.p/{size - 256}")
    assert [leaf_hash(e) for e in parse_entry_bundle(partial.content)] == split_hashes(
        served[f"tile/0/001.p/{size - 256}"]
    )
    # a tile the tree does not have yet, and malformed paths: 404
    assert (await client.get(f"/v1/log/tile/0/001.p/{size - 255}")).status_code == 404
    assert (await client.get("/v1/log/tile/0/x000/001")).status_code == 404
    assert (await client.get("/v1/log/tile/00/000")).status_code == 404
    assert (await client.get("/v1/log/tile/entries/002")).status_code == 404
    note = (await client.get("/v1/log/checkpoint")).text
    assert note.split("\n")[1] == str(size) and unb64(note.split("\n")[2], "root") == unb64(
        checkpoint["root_hash"], "root"
    )
