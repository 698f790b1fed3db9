"""JSON Pointers (RFC 6901): rules read fields with them, amendments write with them, and every error names
the field it is about with one (as RFC 9457's examples write it: ``#/data/unit``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def escape(token: Any) -> str:
    """One reference token: '~' as '~0', '/' as '~1'."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(path: Iterable[Any]) -> str:
    """The JSON Pointer of a path of keys and indexes ('' for the whole document)."""
    return "".join("/" + escape(p) for p in path)


def fragment(path: Iterable[Any]) -> str:
    """The pointer as a URI fragment, the form problem details use: ``#/data/unit``."""
    return "#" + pointer(path)


def tokens(text: str) -> list[str]:
    """The reference tokens of a pointer, unescaped."""
    if text == "":
        return []
    if not text.startswith("/"):
        raise ValueError(f"{text!r} is not a JSON Pointer")
    return [t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/")]


def resolve(document: Any, text: str) -> Any:
    """The value at the pointer, or MISSING: a rule reading an absent optional field is not an error."""
    value = document
    for token in tokens(text):
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return MISSING
    return value


def with_value(document: Any, text: str, value: Any) -> Any:
    """A copy of the document with the value set at the pointer (added or replaced); the original is untouched."""
    path = tokens(text)
    if not path:
        return value
    head, rest = path[0], pointer(path[1:])
    if isinstance(document, dict) and (head in document or not rest):
        return {**document, head: with_value(document[head], rest, value) if rest else value}
    if isinstance(document, list) and head.isdigit() and int(head) < len(document):
        i = int(head)
        return [*document[:i], with_value(document[i], rest, value) if rest else value, *document[i + 1 :]]
    raise ValueError(f"cannot set {text!r}: no object or array element at {head!r}")
