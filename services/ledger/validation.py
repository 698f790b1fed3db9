"""Checks a posted CloudEvent against the published schemas and the ledger's own admission rules.

Every failure names the field (a JSON Pointer, as RFC 9457's examples write it: ``#/data/unit``) and the
rule it broke (the JSON Schema keyword, or one of the ledger rules below). Nothing here touches storage.

Ledger rules beyond JSON Schema:
- ``not-in-future``: ``time`` at most ``max_future`` ahead of the ledger's clock; ``time-range``: and not before
  ``EARLIEST`` (compared as instants, whatever the offset);
- ``i-json``: no floating-point numbers and integers within ±(2**53 - 1), so hashes are exact (RFC 7493);
- ``max-depth``, ``character`` (and, at parsing, ``duplicate-name``): the document's shape (``core/ijson.py``);
- ``dataschema``: when given, names a published version of the event type's data schema;
- ``sanction-kind``, ``rule-set``: a case.sanction_imposed imposes a kind of sanction its article provides
  under its rule set (``esledger.domain.sanctions``), and names a rule set that exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import ValidationError

from esledger.core import ijson
from esledger.core.instants import parse_instant
from esledger.core.patterns import ecma_search
from esledger.core.pointers import fragment
from esledger.domain.calendar import beijing_date
from esledger.domain.findings import SANCTIONED
from esledger.domain.sanctions import SanctionTable
from esledger.ledger.catalog import ENVELOPE_ID, RESERVED_PREFIXES, ActType, Catalog

MAX_SAFE_INTEGER = 2**53 - 1
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No act of this supervision system predates it; bounding instants keeps every date computation in range."""
UNKNOWN_TYPE = "catalog"
"""The rule a violation names when an event's type is well-formed but not in the catalog."""


@dataclass(frozen=True)
class Violation:
    pointer: str
    rule: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"pointer": self.pointer, "rule": self.rule, "detail": self.detail}

    def under(self, prefix: str) -> Violation:
        """The same violation inside a batch, e.g. ``#/3/data/unit``."""
        return Violation("#" + prefix + self.pointer[1:], self.rule, self.detail)


def _pointer(path: Any, *extra: Any) -> str:
    return fragment((*path, *extra))


def _schema_violations(error: ValidationError, base: tuple[Any, ...]) -> Iterator[Violation]:
    path = (*base, *error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(error.validator_value, list):
        for name in error.validator_value:
            if name not in error.instance:
                yield Violation(_pointer(path, name), "required", f"'{name}' is required")
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        for name in error.instance:
            if name not in allowed and not any(ecma_search(p, name) for p in patterns):
                yield Violation(_pointer(path, name), "additionalProperties", f"'{name}' is not a field of this schema")
    else:
        yield Violation(_pointer(path), str(error.validator), error.message)


def _number_violations(value: Any, path: tuple[Any, ...] = ()) -> Iterator[Violation]:
    if isinstance(value, bool):
        return
    if isinstance(value, float):
        yield Violation(
            _pointer(path),
            "i-json",
            "floating-point numbers are not admitted; use an integer (money in fen) or a string",
        )
    elif isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        yield Violation(_pointer(path), "i-json", f"integer outside ±{MAX_SAFE_INTEGER} (RFC 7493)")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _number_violations(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _number_violations(v, (*path, i))


def _unique(violations: Iterator[Violation]) -> list[Violation]:
    """jsonschema reports a 'required' failure once per missing field, each naming the whole list."""
    return list(dict.fromkeys(violations))


@dataclass(frozen=True)
class EventValidator:
    catalog: Catalog
    sanctions: SanctionTable
    """The kinds of sanction each article provides, by rule set."""
    max_future: timedelta = timedelta(minutes=5)

    def check(self, event: Any, now: datetime) -> tuple[ActType | None, list[Violation]]:
        """The act the event records (None if it could not be told, or its type is not in the catalog:
        ``unknown_type`` then says so) and every violation found."""
        shape = [Violation(p["pointer"], p["rule"], p["detail"]) for p in ijson.shape_problems(event)]
        if any(v.rule == "max-depth" for v in shape):
            return None, shape  # nothing recursive may read it
        envelope = self.catalog.validator(ENVELOPE_ID)
        violations = shape + _unique(v for e in envelope.iter_errors(event) for v in _schema_violations(e, ()))
        if not isinstance(event, dict):
            return None, violations
        violations += list(_number_violations(event))
        event_type = event.get("type")
        act = self.catalog.by_type.get(event_type) if isinstance(event_type, str) else None
        if act is None:
            if isinstance(event_type, str) and not any(v.pointer == "#/type" for v in violations):
                violations.append(Violation("#/type", UNKNOWN_TYPE, f"{event_type!r} is not a published type"))
            return None, violations
        subject = event.get("subject")
        if not act.internal and isinstance(subject, str) and subject.startswith(RESERVED_PREFIXES):
            violations.append(
                Violation(
                    "#/subject",
                    "reserved-subject",
                    f"case ids beginning {' or '.join(RESERVED_PREFIXES)} are the ledger's own (the access log's "
                    "days, the principals): give the case another id",
                )
            )
        schema_id = event.get("dataschema", act.current_schema_id)
        if schema_id not in act.schema_ids.values():
            violations.append(
                Violation(
                    "#/dataschema",
                    "dataschema",
                    f"{schema_id!r} is not a published schema of {act.name}; "
                    f"published: {sorted(act.schema_ids.values())}",
                )
            )
        elif isinstance(event.get("data"), dict):
            data = self.catalog.validator(schema_id)
            violations += _unique(v for e in data.iter_errors(event["data"]) for v in _schema_violations(e, ("data",)))
        time = event.get("time")
        if isinstance(time, str) and not any(v.pointer == "#/time" for v in violations):
            try:
                occurred = parse_instant(time)
                ahead = occurred - now
            except (ValueError, OverflowError) as exc:
                violations.append(Violation("#/time", "format", str(exc)))
            else:
                if occurred < EARLIEST:
                    earliest = EARLIEST.isoformat()
                    violations.append(
                        Violation("#/time", "time-range", f"time is before {earliest}, the earliest admitted")
                    )
                elif ahead > self.max_future:
                    violations.append(
                        Violation(
                            "#/time",
                            "not-in-future",
                            f"time is {ahead} ahead of the ledger's clock; at most {self.max_future} is admitted",
                        )
                    )
        if act.name == SANCTIONED and not violations:
            violations += self._sanction_violations(event)
        return act, violations

    def _sanction_violations(self, event: dict[str, Any]) -> list[Violation]:
        """A sanction its article does not provide, under the rule set it names or the one in force on its
        Beijing day (checked on a schema-valid event only)."""
        refusal = self.sanctions.refusal(event["data"], beijing_date(parse_instant(event["time"])))
        return [Violation("#" + refusal.pointer, refusal.rule, refusal.detail)] if refusal else []
