"""C2SP tlog-tiles (c2sp.org/tlog-tiles): the tree as immutable tiles of 256 hashes, and the entries as
bundles, so any tlog client computes its own proofs and the reads fall on caches.

A tile ``(L, N)`` holds the hashes ``MTH(D[(N*256+i)*256**L : (N*256+i+1)*256**L])``, i = 0..255: exactly
the stored perfect nodes at level ``8*L``, indexes ``N*256 .. N*256+255`` (``merkle``'s storage model), so
a tile is one range read. Paths: ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``, with ``N`` in
zero-padded 3-digit groups, all but the last prefixed ``x`` (1234067 is ``x001/x234/067``).

``TileReader`` is the client side: a ``merkle.NodeReader`` over tiles fetched for one tree size, so the
proof functions of ``merkle`` run on tiles unchanged.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from esledger.transparency.merkle import HASH_SIZE, node_hash

WIDTH = 256
HEIGHT = 8
MAX_ENTRY = 0xFFFF
_GROUP = re.compile(r"x[0-9]{3}")
_LAST = re.compile(r"[0-9]{3}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class TileError(ValueError):
    """A tile path that does not follow the format, or a tile the tree does not (yet) have."""


@dataclass(frozen=True)
class Tile:
    """Tile ``index`` at ``level`` (None for an entry bundle), ``width`` hashes or entries wide."""

    level: int | None
    index: int
    width: int = WIDTH

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)

    @property
    def start(self) -> int:
        """The first level-``8L`` node (or entry) the tile holds."""
        return self.index * WIDTH

    def leaves_needed(self) -> int:
        """The smallest tree size that has this tile (at this width)."""
        level = self.level or 0
        return (self.index * WIDTH + self.width) * WIDTH**level


def encode_index(n: int) -> str:
    if n < 0:
        raise TileError(f"tile index {n} is negative")
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def tile_path(level: int | None, index: int, width: int = WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]``, or ``tile/entries/<N>[.p/<W>]`` for level None."""
    if not 1 <= width <= WIDTH:
        raise TileError(f"tile width {width} is outside 1..256")
    head = "tile/entries" if level is None else f"tile/{level}"
    return f"{head}/{encode_index(index)}" + ("" if width == WIDTH else f".p/{width}")


def parse_tile_path(path: str) -> Tile:
    """The tile a path names; TileError naming what is wrong (one path per tile: no other spelling parses)."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TileError(f"{path!r} is not tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]")
    level: int | None
    if parts[1] == "entries":
        level = None
    elif _DECIMAL.fullmatch(parts[1]) and int(parts[1]) <= 63:
        level = int(parts[1])
    else:
        raise TileError(f"tile level {parts[1]!r} is not a decimal 0..63 (or 'entries')")
    rest = parts[2:]
    width = WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        w = rest[-1]
        if not _DECIMAL.fullmatch(w) or not 1 <= int(w) <= WIDTH - 1:
            raise TileError(f"partial tile width {w!r} is not a decimal 1..255")
        width = int(w)
        rest = [*rest[:-2], rest[-2][: -len(".p")]]
    if not rest or not _LAST.fullmatch(rest[-1]) or not all(_GROUP.fullmatch(g) for g in rest[:-1]):
        raise TileError(f"tile index {'/'.join(rest)!r} is not 3-digit groups, all but the last prefixed 'x'")
    if len(rest) > 1 and rest[0] == "x000":
        raise TileError(f"tile index {'/'.join(rest)!r} has a leading zero group")
    index = 0
    for group in rest:
        index = index * 1000 + int(group.lstrip("x"))
    if index >= 2**64:
        raise TileError(f"tile index {index} is over 2**64")
    return Tile(level, index, width)


def tiles_for_size(size: int) -> list[Tile]:
    """Every hash tile a tree of ``size`` leaves has, full and partial (the C2SP example: 70,000 leaves are
    273 full level-0 tiles, a level-0 tile of width 112, a full level-1 tile, level 1 width 17, level 2
    width 1)."""
    tiles, level = [], 0
    while count := size // WIDTH**level:
        full, partial = divmod(count, WIDTH)
        tiles += [Tile(level, i) for i in range(full)]
        if partial:
            tiles.append(Tile(level, full, partial))
        level += 1
    return tiles


def check_available(tile: Tile, size: int) -> None:
    """TileError unless a tree of ``size`` leaves has the tile at that width."""
    if tile.leaves_needed() > size:
        raise TileError(f"{tile.path()} needs a tree of {tile.leaves_needed()} leaves; the log has {size}")


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Big-endian uint16 length-prefixed entries."""
    out = bytearray()
    for number, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY:
            raise TileError(f"entry {number} of the bundle has {len(entry)} bytes, over the format's {MAX_ENTRY}")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError("entry bundle: truncated length prefix")
        (n,) = struct.unpack(">H", data[at : at + 2])
        if at + 2 + n > len(data):
            raise TileError("entry bundle: truncated entry")
        entries.append(data[at + 2 : at + 2 + n])
        at += 2 + n
    return entries


def split_hashes(data: bytes) -> list[bytes]:
    if len(data) % HASH_SIZE:
        raise TileError(f"a hash tile of {len(data)} bytes is not a whole number of {HASH_SIZE}-byte hashes")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


class TileReader:
    """``merkle.NodeReader`` over the tiles of a tree of ``size`` leaves: node ``(level, index)`` is a hash
    of tile ``level // 8`` (when ``level`` is a multiple of 8) or the root of ``2**(level % 8)`` consecutive
    hashes of one tile. ``fetch(tile)`` returns a tile's bytes (e.g. by HTTP); each tile is fetched once."""

    def __init__(self, size: int, fetch: Callable[[Tile], bytes]) -> None:
        self.size = size
        self.fetch = fetch
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def _tile(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            count = self.size // WIDTH**level
            width = min(WIDTH, count - index * WIDTH)
            if width <= 0:
                raise TileError(f"tile {level}/{index} is beyond a tree of {self.size}")
            tile = Tile(level, index, width)
            hashes = split_hashes(self.fetch(tile))
            if len(hashes) != width:
                raise TileError(f"{tile.path()}: {len(hashes)} hashes served, expected {width}")
            self._tiles[key] = hashes
        return self._tiles[key]

    def node(self, level: int, index: int) -> bytes:
        tile_level, rest = divmod(level, HEIGHT)
        first = index << rest  # the first hash of tile_level it covers
        hashes = self._tile(tile_level, first // WIDTH)
        offset = first % WIDTH
        span = hashes[offset : offset + (1 << rest)]
        if len(span) != 1 << rest:
            raise TileError(f"node ({level}, {index}) is not complete in a tree of {self.size}")
        while len(span) > 1:
            span = [node_hash(span[i], span[i + 1]) for i in range(0, len(span), 2)]
        return span[0]
