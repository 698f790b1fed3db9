"""Sealing: how a confidential value is kept out of the hashed record and still bound to it.

At append, every value at a confidential location of the event is replaced, in the event the ledger stores,
by the marker ``{"x-confidential": "sha256:<hex>"}``, hex = SHA-256(salt ‖ JCS(value)), with a fresh random
16-byte salt per value. The value (as its JCS text) and its salt are kept apart, in the
``confidential_values`` table. Hash chains, leaves and checkpoints cover the marker only, so erasing the value
and its salt later leaves every one of them verifiable; a reader shown the value and its salt checks it
against the marker; and without the salt nobody confirms a guessed name against the marker.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from esledger.core.canonical import canonical_bytes
from esledger.ledger.confidential import MARKER, locations

SALT_BYTES = 16
MASK = {MARKER: "masked"}
"""Stands in, on both sides of a comparison, for a value that can no longer be compared (it was erased)."""


def digest(salt: bytes, text: str) -> str:
    """The marker's digest of a value, given as its JCS text."""
    return "sha256:" + hashlib.sha256(salt + text.encode()).hexdigest()


@dataclass(frozen=True)
class SealedValue:
    """A value taken out of an event: where it was, its salt and its JCS text."""

    pointer: str
    salt: bytes
    text: str

    @property
    def value(self) -> Any:
        return orjson.loads(self.text)

    @property
    def marker(self) -> dict[str, str]:
        return {MARKER: digest(self.salt, self.text)}


@dataclass(frozen=True)
class Sealed:
    """An event as the ledger stores it, and the values taken out of it."""

    event: dict[str, Any]
    values: tuple[SealedValue, ...]
    unsalted: tuple[str, ...] = ()
    """Resealing only: locations for which no salt was given, left as they were."""


def seal(event: Mapping[str, Any], paths: Sequence[str], salts: Mapping[str, bytes] | None = None) -> Sealed:
    """A copy of the event with every confidential value replaced by its marker: each with a fresh salt, or
    with the salts given by pointer (to reseal a repost as its original was sealed)."""
    sealed: dict[str, Any] = copy.deepcopy(dict(event))
    values: list[SealedValue] = []
    unsalted: list[str] = []
    for found in locations(sealed, paths):
        if any(found.pointer.startswith(p + "/") for p in [*(v.pointer for v in values), *unsalted]):
            continue  # inside a value already taken out
        salt = secrets.token_bytes(SALT_BYTES) if salts is None else salts.get(found.pointer)
        if salt is None:
            unsalted.append(found.pointer)
            continue
        value = SealedValue(found.pointer, salt, canonical_bytes(found.value).decode())
        found.container[found.key] = value.marker
        values.append(value)
    return Sealed(sealed, tuple(values), tuple(unsalted))


def is_sealed(value: Any) -> bool:
    """Whether a value in a stored event is a marker (a value sealed and kept apart)."""
    return (
        isinstance(value, dict)
        and set(value) == {MARKER}
        and isinstance(value[MARKER], str)
        and value[MARKER].startswith("sha256:")
    )


def masked(event: Mapping[str, Any], pointers: Sequence[str]) -> dict[str, Any]:
    """A copy of the event with whatever is at these pointers replaced by ``MASK`` (absent places stay
    absent, so an event that has a value where the other has none still differs)."""
    out: dict[str, Any] = copy.deepcopy(dict(event))
    for found in locations(out, pointers):
        found.container[found.key] = dict(MASK)
    return out
