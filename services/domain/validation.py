"""Validation of rule data documents (rule sets, holiday data) against their own JSON Schemas, which the
composition root reads from the published ``schemas/rules/`` and hands in as documents: a deployment edits
data and the rules that check it in one place, and this core reads no file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from esledger.core.pointers import pointer


class RuleDataError(ValueError):
    """A rule data document does not conform: the message lists every problem with its JSON location."""


@dataclass(frozen=True)
class RuleSchemas:
    """The schemas rule data is checked against, by name (``ruleset``, ``holiday_data``)."""

    validators: Mapping[str, Draft202012Validator]

    @classmethod
    def from_documents(cls, **schemas: Any) -> RuleSchemas:
        checked = {}
        for name, schema in schemas.items():
            Draft202012Validator.check_schema(schema)
            checked[name] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return cls(checked)

    def problems(self, name: str, document: Any) -> list[str]:
        """Every violation of schema ``name`` as '<json pointer>: <message>', in document order."""
        errors = sorted(self.validators[name].iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        return [f"{pointer(e.absolute_path) or '/'}: {e.message}" for e in errors]


def raise_if_problems(origin: str, problems: list[str]) -> None:
    """Refuse data with problems, naming where it came from and every problem, one a line."""
    if problems:
        raise RuleDataError(f"{origin}: invalid\n" + "\n".join(f"  {p}" for p in problems))
