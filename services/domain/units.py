"""The units a case involves, and which unit answers for a deadline.

A unit is an object {code, name} (common.v1 `unit`) anywhere in an act's data. Its *role* is the dotted path
of keys that leads to it, list indices left out: `respondent_unit`, `supervision_body`, `to_unit`,
`notice_document.issuing_unit`, `handler.unit` (the unit a person belongs to), `inspectors.unit`, ...
The complainant is never walked: a complainant's identity is confidential (schemas/README.md) and has no
unit code anyway.

A deadline's responsible party is a role a rule names (`responsible`); PARTIES gives each party's title and
the fields that may hold its unit. The unit is looked up first on the deadline's trigger record, then on the
case's acts in occurred order (the opening act first), trying the party's fields in order. So art9.explain
answers to the unit the notification was delivered to, art7.correct to the unit that issued the document,
art11.escalate to the supervision body that opened the inspection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from esledger.core.pointers import MISSING, resolve
from esledger.domain.acts import KnownAct
from esledger.domain.presentation import fields_json

CONFIDENTIAL_KEYS = frozenset({"complainant"})

PARTIES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    # party: (title, the fields that may hold its unit, tried in order)
    "supervision_body": ("行政执法监督机构", ("supervision_body",)),
    # delivered_to: the unit a grievance notification was delivered to
    "respondent_unit": ("被申诉、控告、检举的行政机关或内设执法机构", ("respondent_unit", "delivered_to")),
    "county_bureau": (
        "县市区政务数据局（公共资源局）",
        ("issuing_unit", "deciding_unit", "filing_unit", "delivered_to"),
    ),
    # delivered_to: the unit a supervision notice or decision was delivered to
    "supervised_unit": ("被监督的行政机关", ("supervised_unit", "delivered_to")),
}


def is_unit(value: Any) -> TypeGuard[Mapping[str, str]]:
    """A {code, name} object with string values (a person or document is not a unit)."""
    return (
        isinstance(value, Mapping)
        and set(value) == {"code", "name"}
        and isinstance(value["code"], str)
        and isinstance(value["name"], str)
    )


def unit_json(unit: Mapping[str, Any] | None) -> dict[str, str] | None:
    return {"code": unit["code"], "name": unit["name"]} if unit else None


@dataclass(frozen=True)
class UnitInvolvement:
    """One unit of a case: its latest name, every role it appears in, and the case versions naming it."""

    code: str
    name: str
    roles: tuple[str, ...]
    versions: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)


def unit_mentions(record: KnownAct) -> list[tuple[str, Mapping[str, str]]]:
    """(role, unit) for every unit in a record's data, in document order."""
    return event_unit_mentions(record.event)


def event_unit_mentions(event: Mapping[str, Any]) -> list[tuple[str, Mapping[str, str]]]:
    """(role, unit) for every unit in a CloudEvent's data, in document order (the complainant never walked)."""
    found: list[tuple[str, Mapping[str, str]]] = []
    _walk(event.get("data", {}), (), found)
    return found


def units_involved(acts: Sequence[KnownAct]) -> list[UnitInvolvement]:
    """Every unit named in the acts (occurred order), by first appearance; a code's latest name is kept."""
    names: dict[str, str] = {}
    roles: dict[str, dict[str, None]] = {}
    versions: dict[str, dict[int, None]] = {}
    for record in acts:
        for role, unit in unit_mentions(record):
            code = unit["code"]
            names[code] = unit["name"]
            roles.setdefault(code, {})[role] = None
            versions.setdefault(code, {})[record.version] = None
    return [UnitInvolvement(code, names[code], tuple(roles[code]), tuple(versions[code])) for code in names]


def first_unit(records: Iterable[KnownAct], fields: Sequence[str]) -> Mapping[str, str] | None:
    """The first unit found at /data/<field>, record by record, field by field."""
    for record in records:
        for name in fields:
            value = resolve(record.event, f"/data/{name}")
            if value is not MISSING and is_unit(value):
                return value
    return None


def unit_for(fields: Sequence[str], record: KnownAct | None, acts: Sequence[KnownAct]) -> Mapping[str, str] | None:
    """The first unit at one of the fields on the record itself, else on the case's acts (occurred order)."""
    found = first_unit([record], fields) if record else None
    return found or first_unit(acts, fields)


def responsible_unit(party: str, trigger: KnownAct | None, acts: Sequence[KnownAct]) -> Mapping[str, str] | None:
    """The unit that answers as `party` for a deadline triggered by `trigger` (see PARTIES)."""
    return unit_for(PARTIES[party][1], trigger, acts) if party in PARTIES else None


def party_title(party: str) -> str:
    return PARTIES[party][0] if party in PARTIES else party


def _walk(value: Any, path: tuple[str, ...], found: list[tuple[str, Mapping[str, str]]]) -> None:
    if is_unit(value):
        found.append((".".join(path), value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in CONFIDENTIAL_KEYS:
                _walk(item, (*path, key), found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, path, found)
