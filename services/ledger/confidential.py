"""Confidential values: where the published schemas mark data ``x-confidential`` (a complainant's identity),
where an event holds such values, and how a record stored before sealing (values inline) is shown to a
reader who may not see them.

Paths are JSON Pointers into the CloudEvent, ``*`` standing for every item of an array; a location is where
a path meets an event: a concrete pointer (``*`` replaced by the index) and the value there.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from referencing import Registry

from esledger.core.pointers import escape, pointer, resolve, tokens

MARKER = "x-confidential"
REDACTED = {MARKER: "redacted"}
"""What a reader who may not see an inline confidential value (a ``zfjd-record/1`` record) sees in its place."""
MAX_DEPTH = 16
AMENDMENTS = "/data/amendments"
"""Where ``case.record_amended`` carries the values it writes into an earlier record."""


def confidential_paths(schema_id: str, registry: Registry, base: tuple[str, ...] = ("data",)) -> tuple[str, ...]:
    """The pointers, under ``base``, of every value the schema (following its ``$ref``s) marks confidential;
    a value inside one already marked is covered by it."""
    resolver = registry.resolver(schema_id)
    return tuple(dict.fromkeys(_walk(resolver.lookup(schema_id).contents, resolver, base, 0)))


def _walk(schema: Mapping[str, Any], resolver: Any, path: tuple[str, ...], depth: int) -> Iterator[str]:
    if depth > MAX_DEPTH:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved = resolver.lookup(ref)
        schema, resolver = {**resolved.contents, **{k: v for k, v in schema.items() if k != "$ref"}}, resolved.resolver
    if schema.get(MARKER) is True:
        yield "/" + "/".join(escape(p) for p in path)
        return
    for name, sub in schema.get("properties", {}).items():
        yield from _walk(sub, resolver, (*path, name), depth + 1)
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from _walk(items, resolver, (*path, "*"), depth + 1)


def amended_paths(event: Mapping[str, Any], confidential: Iterable[str]) -> Iterator[str]:
    """The paths of the values a ``case.record_amended`` writes into confidential places of its target: an
    amendment at or below a confidential path writes a confidential value; one above it (``/data``) carries
    the confidential part inside its value. Judged against every path any act marks, so an amendment is
    never sealed less than the record it corrects."""
    amendments = resolve(event, AMENDMENTS)
    if not isinstance(amendments, list):
        return
    marked = [tokens(p) for p in confidential]
    for index, amendment in enumerate(amendments):
        target = amendment.get("pointer") if isinstance(amendment, Mapping) else None
        if not isinstance(target, str) or not (target == "" or target.startswith("/")):
            continue
        at = tokens(target)
        value = f"{AMENDMENTS}/{index}/value"
        for path in marked:
            if all(p == t or (p == "*" and t.isdigit()) for p, t in zip(path, at, strict=False)):
                yield value if len(at) >= len(path) else value + pointer(path[len(at) :])


@dataclass(frozen=True)
class Location:
    """Where a confidential path meets a document: the concrete pointer, and the container and key there."""

    pointer: str
    container: Any
    key: str | int

    @property
    def value(self) -> Any:
        return self.container[self.key]


def locations(document: Any, paths: Sequence[str]) -> list[Location]:
    """Every place the paths reach in the document, in the order of the paths."""
    return [found for path in paths for found in _reach(document, tokens(path), ())]


def _reach(document: Any, path: Sequence[str], at: tuple[str | int, ...]) -> Iterator[Location]:
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(document, list):
        keys: Iterable[str | int] = range(len(document))
    elif isinstance(document, dict) and head in document:
        keys = (head,)
    elif isinstance(document, list) and head.isdigit() and int(head) < len(document):
        keys = (int(head),)
    else:
        return
    for key in keys:
        if rest:
            yield from _reach(document[key], rest, (*at, key))
        else:
            yield Location(pointer((*at, key)), document, key)


def redact(event: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """A copy of the event with every confidential value replaced by the redaction marker (for records that
    hold their values inline: ``zfjd-record/1``)."""
    shown: dict[str, Any] = copy.deepcopy(dict(event))
    for found in locations(shown, paths):
        found.container[found.key] = dict(REDACTED)
    return shown
