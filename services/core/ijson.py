"""The JSON the ledger admits: I-JSON (RFC 7493) and bounded, so that what is hashed is what every other
parser reads from the same bytes, and no document can exhaust a stack.

- Strict syntax and UTF-8 (orjson: no NaN or Infinity, no lone surrogates); anything else is a
  ``SyntaxProblem`` (the HTTP edge answers 400 malformed-json).
- ``max-depth``: objects and arrays nested at most ``MAX_DEPTH`` deep (the deepest published act needs 6);
  checked before anything recursive reads the document.
- ``character``: no U+0000 in any string or member name (C strings and PostgreSQL TEXT end there), nor any
  other character that changes how text reads without being text: C0 controls but TAB, LF and CR, DEL, C1
  controls, line and paragraph separators, bidirectional embeddings, overrides, isolates and marks, and the
  byte order mark (``FORBIDDEN``).
- ``duplicate-name``: no object with two members of the same name (RFC 7493 §2.3): parsers disagree on which
  one wins, so the hash would prove content another reader does not see.

Numbers (``i-json`` in ``esledger.ledger.validation``) are checked with the schemas, on the parsed value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

from esledger.core.errors import ValidationFailed
from esledger.core.pointers import fragment

MAX_DEPTH = 32
"""Objects and arrays nested deeper than this are refused (rule ``max-depth``)."""
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
"""The characters no string may contain (rule ``character``)."""


class SyntaxProblem(ValueError):
    """The bytes are not one well-formed UTF-8 JSON document."""


def loads(body: bytes | bytearray | memoryview | str) -> Any:
    """Parse a request body, refusing what I-JSON and the ledger's bounds refuse (``ValidationFailed``,
    each problem with its pointer and rule); ``SyntaxProblem`` when it is not JSON at all."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SyntaxProblem(str(exc)) from None
    problems = shape_problems(value)
    if not problems:
        problems = _duplicate_names(body)
    if problems:
        raise ValidationFailed(
            f"{len(problems)} part(s) of the document are not admitted JSON; nothing was stored", errors=problems
        )
    return value


def shape_problems(value: Any) -> list[dict[str, str]]:
    """Depth beyond ``MAX_DEPTH`` (reported once, where it first happens) and forbidden characters, walked
    without recursion so that any depth is safe to inspect."""
    problems: list[dict[str, str]] = []
    for path, node in _walk(value):
        if len(path) > MAX_DEPTH:
            problems.append(_problem(path[: MAX_DEPTH + 1], "max-depth", f"nested deeper than {MAX_DEPTH} levels"))
            break
        if isinstance(node, str) and (found := FORBIDDEN.search(node)):
            problems.append(_problem(path, "character", f"{_named(found.group())} is not admitted in a string"))
        elif isinstance(node, dict):
            for name in node:
                if found := FORBIDDEN.search(name):
                    # the pointer names the object: the name itself is not echoed back as it is
                    detail = f"{_named(found.group())} is not admitted in a member name (here {name!a})"
                    problems.append(_problem(path, "character", detail))
    return problems


def _walk(value: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every node with its path, depth first; does not descend below ``MAX_DEPTH + 1``."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        yield path, node
        if len(path) > MAX_DEPTH:
            continue
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))


class _Duplicated(dict[str, Any]):
    """An object that had a member name twice (which one: ``name``)."""

    name: str


def _duplicate_names(body: bytes | bytearray | memoryview | str) -> list[dict[str, str]]:
    """Parse again keeping every member (orjson keeps the last silently) and name each duplicate's pointer.
    Only called on documents within ``MAX_DEPTH``, so the standard parser's recursion is bounded."""
    found = False

    def pairs(members: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        obj = dict(members)
        if len(obj) == len(members):
            return obj
        found = True
        duplicated = _Duplicated(obj)
        seen: set[str] = set()
        for name, _ in members:
            if name in seen:
                duplicated.name = name
                break
            seen.add(name)
        return duplicated

    text = body if isinstance(body, str) else bytes(body).decode("utf-8")
    value = json.loads(text, object_pairs_hook=pairs)
    if not found:
        return []
    return [
        _problem((*path, node.name), "duplicate-name", f"the member {node.name!r} appears more than once (RFC 7493)")
        for path, node in _walk(value)
        if isinstance(node, _Duplicated)
    ]


def _named(character: str) -> str:
    return f"U+{ord(character):04X}" + (" (NUL)" if character == "\x00" else "")


def _problem(path: tuple[Any, ...], rule: str, detail: str) -> dict[str, str]:
    return {"pointer": fragment(path), "rule": rule, "detail": detail}
