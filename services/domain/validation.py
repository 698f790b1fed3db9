"""Validation of the rule data files (rule sets, holiday data) against their own JSON Schemas.

The schemas live beside the data in schemas/rules/ of the checkout, so a deployment edits data and the
rules that check it in one place.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

RULES_DIR = Path(__file__).resolve().parents[2] / "schemas" / "rules"


class RuleDataError(ValueError):
    """A rule data file does not conform: the message lists every problem with its JSON location."""


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    schema = json.loads((RULES_DIR / schema_name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_problems(schema_name: str, document: Any) -> list[str]:
    """Every schema violation as '<json pointer>: <message>', in document order."""
    errors = sorted(_validator(schema_name).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_pointer(e.absolute_path)}: {e.message}" for e in errors]


def raise_if_problems(origin: str, problems: list[str]) -> None:
    """Refuse data with problems, naming where it came from and every problem, one a line."""
    if problems:
        raise RuleDataError(f"{origin}: invalid\n" + "\n".join(f"  {p}" for p in problems))


def read_json(path: Path) -> Any:
    """Read a data file; a syntax error is reported like a schema problem, with its line and column."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise RuleDataError(f"{path}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from e


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else "/"
