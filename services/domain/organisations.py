"""The units supervision involves, as data (``schemas/units/units.json``): each unit's kind (city bureau,
county bureau, internal office, trading centre, supervision body, ...), level and parent. The parent
relation is the hierarchy a jurisdiction follows: a city bureau supervises its county bureaus, internal
offices and trading centre, so an inspector of the city bureau sees the cases of all of them.

A unit code the registry does not list has no known place in the hierarchy: it is within a jurisdiction only
when the jurisdiction names it itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from esledger.domain.validation import RuleSchemas, raise_if_problems


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class Organisations:
    units: Mapping[str, Unit] = field(default_factory=dict)

    def get(self, code: str) -> Unit | None:
        return self.units.get(code)

    def ancestors(self, code: str) -> list[str]:
        """The unit's parent, its parent's parent, ... (nearest first)."""
        chain: list[str] = []
        unit = self.units.get(code)
        while unit is not None and unit.parent is not None and unit.parent not in chain:
            chain.append(unit.parent)
            unit = self.units.get(unit.parent)
        return chain

    def within(self, code: str, roots: Iterable[str]) -> bool:
        """Whether the unit is one of the roots or below one of them."""
        wanted = set(roots)
        return code in wanted or any(a in wanted for a in self.ancestors(code))


def organisations_from(document: Any, schemas: RuleSchemas, origin: str = "units") -> Organisations:
    """Check the units document against its schema and itself (codes unique, parents listed, no cycles)."""
    raise_if_problems(origin, schemas.problems("units", document))
    units: dict[str, Unit] = {}
    problems: list[str] = []
    for i, u in enumerate(document["units"]):
        if u["code"] in units:
            problems.append(f"/units/{i}/code: {u['code']} is listed twice")
        units[u["code"]] = Unit(u["code"], u["name"], u["kind"], u["level"], u["parent"])
    for i, u in enumerate(document["units"]):
        if u["parent"] is not None and u["parent"] not in units:
            problems.append(f"/units/{i}/parent: {u['parent']} is not a listed unit")
    registry = Organisations(units)
    for code in units:
        if code in registry.ancestors(code):
            problems.append(f"/units: {code} is its own ancestor")
    raise_if_problems(origin, problems)
    return registry
