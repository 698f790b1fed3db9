"""JSON Pointers (RFC 6901) into CloudEvents: rules read fields with them, amendments write with them."""

from __future__ import annotations

from typing import Any, Final


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"{pointer!r} is not a JSON Pointer")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def resolve(document: Any, pointer: str) -> Any:
    """The value at the pointer, or MISSING: a rule reading an absent optional field is not an error."""
    value = document
    for token in _tokens(pointer):
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return MISSING
    return value


def with_value(document: Any, pointer: str, value: Any) -> Any:
    """A copy of the document with the value set at the pointer (added or replaced); the original is untouched."""
    tokens = _tokens(pointer)
    if not tokens:
        return value
    head, rest = tokens[0], "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens[1:])
    if isinstance(document, dict) and (head in document or not rest):
        return {**document, head: with_value(document[head], rest, value) if rest else value}
    if isinstance(document, list) and head.isdigit() and int(head) < len(document):
        i = int(head)
        return [*document[:i], with_value(document[i], rest, value) if rest else value, *document[i + 1 :]]
    raise ValueError(f"cannot set {pointer!r}: no object or array element at {head!r}")
