"""Confidential values: where the published schemas mark data ``x-confidential`` (a complainant's identity),
and how a record is shown to a reader who may not see it (the value replaced by a marker).

Paths are JSON Pointers into the CloudEvent, ``*`` standing for every item of an array.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from referencing import Registry

from esledger.core.pointers import escape

MARKER = "x-confidential"
REDACTED = {MARKER: "redacted"}
"""What a reader who may not see a confidential value sees in its place."""
MAX_DEPTH = 16


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


def _locations(document: Any, tokens: Sequence[str]) -> Iterator[tuple[Any, str | int]]:
    """(container, key) for every place the tokens reach in the document."""
    if not tokens:
        return
    head, rest = tokens[0], tokens[1:]
    if head == "*" and isinstance(document, list):
        for i in range(len(document)):
            yield from ([(document, i)] if not rest else _locations(document[i], rest))
    elif isinstance(document, dict) and head in document:
        yield from ([(document, head)] if not rest else _locations(document[head], rest))


def redact(event: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """A copy of the event with every confidential value replaced by the redaction marker."""
    shown: dict[str, Any] = copy.deepcopy(dict(event))
    for path in paths:
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]
        for container, key in list(_locations(shown, tokens)):
            container[key] = dict(REDACTED)
    return shown
