"""What a principal may see and do, decided from its grants, the unit hierarchy and the case at hand.

The rules (README "Who may do what" has them for people):
- Operations are allowed per role (``PERMISSIONS``); a principal holding none of an operation's roles gets
  403. Within an allowed operation, a case outside the principal's scope answers exactly as a case that does
  not exist (404), and lists, counts, feeds and statistics contain only what is in scope.
- A case is in scope for a reviewer always; for an inspector or supervisor when it involves a unit within
  their jurisdiction (a granted unit or any unit below it); for a respondent when it involves one of its own
  units; for an observer when it is one of the cases shared with it.
- A principal's grants are united grant by grant: a grant's scope widens only what its own role may do. Within
  an operation only the grants of the roles allowed it count, so a respondent grant never opens a timeline
  and an observer grant never a replay, whatever other roles the principal holds.
- Confidential values (``x-confidential`` in the schemas: a complainant's identity) are revealed to reviewers,
  and to supervisors within their jurisdiction; every other reader sees them redacted.
- A source posts only as its own ``source`` URI, only acts of its granted types, naming (or, for an act on an
  existing case, belonging to a case that involves) a unit within its granted units when it has any. A
  supervisor records determinations, sanctions, commendations and referrals on cases within its
  jurisdiction, as its personal source ``urn:esledger:principal:<principal id>``. Acts the service records
  itself (principals, the access log) are never accepted from outside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from esledger.access.principals import SUPERVISOR_ACTS, Grant, Principal
from esledger.domain.organisations import Organisations
from esledger.ledger.case import unit_codes


class Permission(StrEnum):
    IDENTIFY = "identify"
    POST_EVENTS = "post_events"
    READ_HISTORY = "read_history"
    READ_VIEWS = "read_views"
    REPLAY = "replay"
    READ_FEED = "read_feed"
    READ_STATISTICS = "read_statistics"
    READ_LOG = "read_log"
    PROVE_INCLUSION = "prove_inclusion"
    MAKE_CHECKPOINT = "make_checkpoint"
    READ_HEALTH = "read_health"
    MANAGE_PRINCIPALS = "manage_principals"
    READ_ACCESS_LOG = "read_access_log"
    ERASE = "erase"


EVERY_ROLE = frozenset({"source", "inspector", "supervisor", "reviewer", "respondent", "observer", "admin"})
PERMISSIONS: Mapping[Permission, frozenset[str]] = {
    Permission.IDENTIFY: EVERY_ROLE,
    Permission.POST_EVENTS: frozenset({"source", "supervisor"}),
    Permission.READ_HISTORY: frozenset({"inspector", "supervisor", "reviewer", "observer"}),
    Permission.READ_VIEWS: frozenset({"inspector", "supervisor", "reviewer", "respondent", "observer"}),
    Permission.REPLAY: frozenset({"inspector", "supervisor", "reviewer"}),
    Permission.READ_FEED: frozenset({"reviewer"}),
    Permission.READ_STATISTICS: frozenset({"inspector", "supervisor", "reviewer"}),
    Permission.READ_LOG: EVERY_ROLE,
    Permission.PROVE_INCLUSION: frozenset({"inspector", "supervisor", "reviewer", "observer"}),
    Permission.MAKE_CHECKPOINT: frozenset({"reviewer", "admin"}),
    Permission.READ_HEALTH: frozenset({"reviewer", "admin"}),
    Permission.MANAGE_PRINCIPALS: frozenset({"admin"}),
    Permission.READ_ACCESS_LOG: frozenset({"reviewer"}),
    Permission.ERASE: frozenset({"reviewer"}),
}
"""Operation → the roles that may perform it (at all; scope narrows what they see)."""


class View(StrEnum):
    """How much of an in-scope case a principal sees."""

    FULL = "full"
    RESPONDENT = "respondent"
    """Status, and only the deadlines it must meet and the findings about it."""


def personal_source(principal: Principal | str) -> str:
    """The source a person posts as: ``urn:esledger:principal:<principal id>`` (a principal, or its id)."""
    return f"urn:esledger:principal:{principal if isinstance(principal, str) else principal.id}"


@dataclass(frozen=True)
class Scope:
    """What one principal may see within one operation, ready to ask about any case."""

    principal: Principal
    organisations: Organisations
    roles: frozenset[str] = EVERY_ROLE
    """The roles allowed the operation at hand (``PERMISSIONS``): only their grants count."""

    def grants_of(self, *roles: str) -> list[Grant]:
        """The principal's grants of these roles that count in this operation."""
        return self.principal.grants_of(*(r for r in roles if r in self.roles))

    @property
    def everything(self) -> bool:
        return bool(self.grants_of("reviewer"))

    def _units(self, *roles: str) -> set[str]:
        return {u for g in self.grants_of(*roles) for u in g.units}

    def within(self, code: str, *roles: str) -> bool:
        return self.organisations.within(code, self._units(*roles))

    def view(self, case_id: str, units: Iterable[str]) -> View | None:
        """How the case is seen (None: it is outside the scope and answers as if it did not exist)."""
        codes = set(units)
        if self.everything:
            return View.FULL
        if any(self.within(c, "inspector", "supervisor") for c in codes):
            return View.FULL
        if any(case_id in g.cases for g in self.grants_of("observer")):
            return View.FULL
        if codes & self._units("respondent"):
            return View.RESPONDENT
        return None

    def reveals(self, units: Iterable[str]) -> bool:
        """Whether confidential values of a case involving these units are shown (and the read logged)."""
        return self.everything or any(self.within(c, "supervisor") for c in units)

    def sees_unit(self, code: str) -> bool:
        """For statistics: a unit row is shown within an inspector's or supervisor's jurisdiction."""
        return self.everything or self.within(code, "inspector", "supervisor")

    # -- as the ledger's Writer and Reader -------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.principal.id

    def refusal(self, event: Mapping[str, Any], act: str, internal: bool) -> str | None:
        return post_refusal(self.principal, event, act, internal)

    def may_write(self, event: Mapping[str, Any], act: str, case_units: set[str] | None) -> bool:
        return may_write(self, event, act, case_units)


def post_refusal(principal: Principal, event: Mapping[str, Any], act: str, internal: bool) -> str | None:
    """Why the principal may not post this act as this source at all (None: it may, subject to the case:
    ``may_write``). Decided before any case is read, so the answer says nothing about which cases exist."""
    if internal:
        return f"{act} is recorded by the ledger itself and is not accepted from clients"
    source = event.get("source")
    if any(g.source in ("*", source) and g.admits_type(act) for g in principal.grants_of("source")):
        return None
    if act in SUPERVISOR_ACTS and principal.has("supervisor") and source == personal_source(principal):
        return None
    sources = sorted({g.source or "" for g in principal.grants_of("source")})
    return (
        f"principal {principal.id!r} may not record {act} as source {source!r} (its sources: "
        f"{sources or 'none'}; a supervisor records {', '.join(SUPERVISOR_ACTS)} as "
        f"{personal_source(principal)!r})"
    )


def may_write(scope: Scope, event: Mapping[str, Any], act: str, case_units: set[str] | None) -> bool:
    """Whether the event may be recorded on its case: ``case_units`` are the units the existing case involves
    (None: the event opens a new case, judged by the units it names). A case this says no to is answered
    exactly as a case that does not exist."""
    principal = scope.principal
    units = unit_codes(event) if case_units is None else case_units
    for grant in scope.grants_of("source"):
        posts_as = grant.source in ("*", event.get("source")) and grant.admits_type(act)
        if posts_as and (not grant.units or any(scope.organisations.within(c, grant.units) for c in units)):
            return True
    return (
        act in SUPERVISOR_ACTS
        and event.get("source") == personal_source(principal)
        and any(scope.within(c, "supervisor") for c in units)
    )
