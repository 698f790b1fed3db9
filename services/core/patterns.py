"""JSON Schema's ``pattern`` is an ECMA-262 regular expression, in which ``$`` (without the multiline flag)
matches only at the end of the input. Python's ``$`` also matches before a final newline, so with Python's
``re`` a schema's ``^[a-z]+$`` admits ``"abc\\n"`` — an id that prints like another. Every validator of the
published schemas reads patterns through ``ecma_search``, which gives ``$`` its ECMA meaning."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators


@functools.lru_cache(maxsize=1024)
def compile_ecma(pattern: str) -> re.Pattern[str]:
    """The pattern compiled with every unescaped ``$`` outside a character class read as the end of input."""
    out: list[str] = []
    in_class = escaped = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            out.append(r"\Z")
            continue
        out.append(ch)
    return re.compile("".join(out))


def ecma_search(pattern: str, text: str) -> bool:
    return compile_ecma(pattern).search(text) is not None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, properties: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        for name, value in instance.items():
            if ecma_search(pattern, name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _additional_properties(validator: Any, allowed: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    named, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    extras = sorted(n for n in instance if n not in named and not any(ecma_search(p, n) for p in patterns))
    if validator.is_type(allowed, "object"):
        for name in extras:
            yield from validator.descend(instance[name], allowed, path=name)
    elif not allowed and extras:
        yield ValidationError(f"{', '.join(map(repr, extras))}: not a property this schema admits")


EcmaValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties, "additionalProperties": _additional_properties},
)
"""Draft 2020-12 with ECMA-262 anchors wherever a pattern decides (``pattern``, ``patternProperties``, and
which properties ``additionalProperties`` applies to)."""
