"""Principals and their grants.

A grant is one role with its scope: ``units`` (a jurisdiction, with every unit below it, for inspectors and
supervisors; its own units for a respondent; a restriction for a source), ``source`` (the CloudEvents source
URI a source posts as, ``*`` for any), ``event_types`` (act names, ``family.*`` for a family; empty: all) and
``cases`` (the cases shared with an observer). A principal may hold several grants; what it may do is their
union. What each role may do is ``esledger.access.policy.PERMISSIONS``, and the README's "Who may do what"
says it for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = ("source", "inspector", "supervisor", "reviewer", "respondent", "observer", "admin")
SUPERVISOR_ACTS = (
    "case.finding_determined",
    "case.sanction_imposed",
    "case.commendation_granted",
    "case.referral_made",
)
"""The acts a supervisor records itself (determinations and their consequences), within its jurisdiction."""

NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
"""A principal's name: lower-case letters, digits and inner hyphens, 1 to 64 characters."""


@dataclass(frozen=True)
class Grant:
    role: str
    units: tuple[str, ...] = ()
    source: str | None = None
    event_types: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role}
        if self.units:
            out["units"] = list(self.units)
        if self.source is not None:
            out["source"] = self.source
        if self.event_types:
            out["event_types"] = list(self.event_types)
        if self.cases:
            out["cases"] = list(self.cases)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Grant:
        return cls(
            role=data["role"],
            units=tuple(data.get("units", ())),
            source=data.get("source"),
            event_types=tuple(data.get("event_types", ())),
            cases=tuple(data.get("cases", ())),
        )

    def admits_type(self, act: str) -> bool:
        """Whether an act name is among the grant's event types (``family.*`` admits a family)."""
        return not self.event_types or any(
            act == t or (t.endswith(".*") and act.startswith(t[:-1])) for t in self.event_types
        )


def grant_problems(grants: Iterable[Mapping[str, Any]]) -> list[str]:
    """What is wrong with grants as JSON (each names its index), so a bad one is refused before it is
    recorded."""
    problems = []
    for i, g in enumerate(grants):
        role = g.get("role")
        if role not in ROLES:
            problems.append(f"grants/{i}/role: {role!r} is not one of {', '.join(ROLES)}")
            continue
        allowed = {"role"} | {
            "source": {"source", "event_types", "units"},
            "inspector": {"units"},
            "supervisor": {"units"},
            "respondent": {"units"},
            "observer": {"cases"},
        }.get(role, set())
        for extra in sorted(set(g) - allowed):
            problems.append(f"grants/{i}/{extra}: not a scope of the {role} role")
        if role in ("inspector", "supervisor", "respondent") and not g.get("units"):
            problems.append(f"grants/{i}/units: a {role} grant names at least one unit")
        if role == "source" and not isinstance(g.get("source"), str):
            problems.append(f"grants/{i}/source: a source grant names the CloudEvents source URI it posts as")
        if role == "observer" and not g.get("cases"):
            problems.append(f"grants/{i}/cases: an observer grant names the cases shared with it")
        for key in ("units", "event_types", "cases"):
            if key in g and not (isinstance(g[key], list) and all(isinstance(v, str) and v for v in g[key])):
                problems.append(f"grants/{i}/{key}: a list of non-empty strings")
    return problems


@dataclass(frozen=True)
class Principal:
    """Who makes a request: ``id`` is what the ledger records as ``recorded_by`` (``key:<name>`` for an API
    key, ``oidc:<subject>`` for a signed-in person)."""

    id: str
    name: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    def has(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    def grants_of(self, *roles: str) -> list[Grant]:
        return [g for g in self.grants if g.role in roles]

    @property
    def roles(self) -> list[str]:
        return sorted({g.role for g in self.grants})


ANONYMOUS_DEVELOPER = Principal(
    "dev:unauthenticated", "unauthenticated developer", (Grant("admin"), Grant("reviewer"), Grant("source", source="*"))
)
"""Who a request is when authentication was switched off for development (loopback only)."""
