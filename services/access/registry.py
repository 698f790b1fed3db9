"""The principals, as the ledger records them.

Every change to a principal — registered, its grants changed, its key rotated, revoked — is an act on the
principal's own case (``PRINCIPAL-<name>``, kind ``principal``), recorded by the ledger itself with the
acting administrator as ``recorded_by``: who was allowed what, since when and by whom is as tamper-evident as
everything else the ledger holds. A principal's current state is the fold of its case's timeline; a small
per-process cache keeps authentication off the database for ``cache_seconds`` (a revoked key stops working
in every process within that time, at once in the process that revoked it).

The first start of a deployment with no principal at all registers ``operator`` (admin and reviewer) and
hands back its key once (or takes ``ESLEDGER_ADMIN_KEY``), so a fresh installation is closed but usable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from esledger.access.keys import KeyMaterial, digest, make_key, matches, parse_key
from esledger.access.principals import NAME, Grant, Principal, grant_problems
from esledger.core.availability import Availability
from esledger.core.errors import CaseExists, ConfigurationError, InvalidArgument, NotFound, Unauthenticated
from esledger.core.instants import Clock
from esledger.core.record import LedgerRecord
from esledger.core.storage import Handle
from esledger.domain.acts import act_of
from esledger.ledger.catalog import PRINCIPAL_PREFIX
from esledger.ledger.index import index_id, listing, names
from esledger.ledger.service import LedgerService, Trusted
from esledger.ledger.store import LedgerStore

SOURCE = "urn:esledger:principals"
OPERATOR = "operator"
OPERATOR_GRANTS = (Grant("admin"), Grant("reviewer"))
BOOTSTRAP = Principal("system:bootstrap", "first start", (Grant("admin"),))
"""Who records the first principal of a deployment."""


def case_id(name: str) -> str:
    return f"{PRINCIPAL_PREFIX}{name}"


PRINCIPALS = index_id("principals")
"""The name of every principal ever registered."""


@dataclass(frozen=True)
class PrincipalState:
    """A principal as its case's timeline leaves it."""

    name: str
    display_name: str | None
    grants: tuple[Grant, ...]
    key_prefix: str
    key_digest: str
    revoked: str | None
    version: int
    changes: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def principal(self) -> Principal:
        return Principal(f"key:{self.name}", self.display_name or self.name, self.grants)

    @property
    def generation(self) -> int:
        return int(self.key_prefix.rsplit(".", 1)[1])

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": f"key:{self.name}",
            "display_name": self.display_name,
            "grants": [g.to_json() for g in self.grants],
            "key_prefix": self.key_prefix,
            "revoked": self.revoked,
            "version": self.version,
            "history": list(self.changes),
        }


def fold(records: Sequence[LedgerRecord]) -> PrincipalState | None:
    """The principal's state after its acts, in version order."""
    state: PrincipalState | None = None
    for r in records:
        name, data = act_of(r.event), r.event["data"]
        change = {
            "act": name,
            "version": r.case_version,
            "recorded_at": r.to_json()["recorded_at"],
            "recorded_by": r.recorded_by,
        }
        if name == "principal.registered":
            state = PrincipalState(
                data["name"],
                data.get("display_name"),
                tuple(Grant.from_json(g) for g in data["grants"]),
                data["key"]["prefix"],
                data["key"]["digest"],
                None,
                r.case_version,
                (change,),
            )
            continue
        if state is None:
            continue
        if name == "principal.grants_changed":
            state = replace(state, grants=tuple(Grant.from_json(g) for g in data["grants"]))
        elif name == "principal.key_rotated":
            state = replace(state, key_prefix=data["key"]["prefix"], key_digest=data["key"]["digest"])
        elif name == "principal.revoked":
            state = replace(state, revoked=data["reason"])
        state = replace(state, version=r.case_version, changes=(*state.changes, change))
    return state


class PrincipalRegistry:
    def __init__(
        self,
        ledger: LedgerService,
        store: Handle[LedgerStore],
        availability: Availability,
        clock: Clock,
        cache_seconds: float = 5.0,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.availability = availability
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, PrincipalState | None]] = {}
        self._lock = threading.Lock()

    # -- authentication -------------------------------------------------------------------------------------
    def authenticate(self, key_text: str) -> Principal:
        """The principal an API key belongs to; Unauthenticated for anything else (one message for every
        reason, so a caller learns nothing about which principals or keys exist)."""
        presented = parse_key(key_text)
        refused = Unauthenticated("the API key is not valid: unknown, rotated or revoked")
        if presented is None:
            raise refused
        state = self._state(presented.name)
        if (
            state is None
            or state.revoked is not None
            or state.key_prefix != presented.prefix
            or not matches(presented, state.key_digest)
        ):
            raise refused
        return state.principal

    def _state(self, name: str) -> PrincipalState | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        state = self.get(name, missing_ok=True)
        with self._lock:
            self._cache[name] = (now, state)
        return state

    # -- reading --------------------------------------------------------------------------------------------
    def get(self, name: str, missing_ok: bool = False) -> PrincipalState | None:
        with self.availability.guard():
            records = self.store.get().timeline(case_id(name))
        state = fold(records)
        if state is None and not missing_ok:
            raise NotFound(f"no principal {name!r}")
        return state

    def names(self) -> list[str]:
        with self.availability.guard():
            return sorted(names(self.store.get(), PRINCIPALS))

    def list(self) -> list[PrincipalState]:
        return [s for name in self.names() if (s := self.get(name, missing_ok=True)) is not None]

    # -- changes --------------------------------------------------------------------------------------------
    def register(
        self, actor: Principal, name: str, grants: Sequence[dict[str, Any]], display_name: str | None = None
    ) -> tuple[PrincipalState, str]:
        """A new principal; its key is returned here, once, and never stored."""
        if not NAME.fullmatch(name):
            raise InvalidArgument(
                f"principal name {name!r}: lower-case letters, digits and inner hyphens, 1 to 64",
                errors=[{"pointer": "#/name", "rule": "pattern"}],
            )
        self._check(grants)
        key = make_key(name, 1)
        data: dict[str, Any] = {"name": name, "grants": list(grants), "key": _key_json(key)}
        if display_name:
            data["display_name"] = display_name
        try:
            self._record(actor, name, "principal.registered", data, directory_add=name)
        except CaseExists:
            raise InvalidArgument(
                f"a principal named {name!r} exists already; rotate its key or choose another name",
                errors=[{"pointer": "#/name", "rule": "unique"}],
            ) from None
        return self._fresh(name), key.text

    def change_grants(self, actor: Principal, name: str, grants: Sequence[dict[str, Any]]) -> PrincipalState:
        self._check(grants)
        self._active(name)
        self._record(actor, name, "principal.grants_changed", {"name": name, "grants": list(grants)})
        return self._fresh(name)

    def rotate(self, actor: Principal, name: str) -> tuple[PrincipalState, str]:
        state = self._active(name)
        key = make_key(name, state.generation + 1)
        self._record(actor, name, "principal.key_rotated", {"name": name, "key": _key_json(key)})
        return self._fresh(name), key.text

    def revoke(self, actor: Principal, name: str, reason: str) -> PrincipalState:
        self._active(name)
        self._record(actor, name, "principal.revoked", {"name": name, "reason": reason})
        return self._fresh(name)

    def ensure_operator(self, key_text: str | None = None) -> str | None:
        """On a deployment with no principal, register the operator (admin, reviewer); its key is returned
        once (None when principals exist already, or when ``key_text`` was given: that one is used)."""
        if self.names():
            return None
        if key_text is not None:
            presented = parse_key(key_text)
            if presented is None or presented.generation != 1:
                raise ConfigurationError(
                    "ESLEDGER_ADMIN_KEY is not an esledger API key of generation 1: make one "
                    "with `esledger principals newkey NAME`"
                )
            name, key = presented.name, KeyMaterial(key_text, presented.prefix, digest(presented.secret))
        else:
            name, key = OPERATOR, make_key(OPERATOR, 1)
        data = {
            "name": name,
            "display_name": "operator (first start)",
            "key": _key_json(key),
            "grants": [g.to_json() for g in OPERATOR_GRANTS],
        }
        try:
            self._record(BOOTSTRAP, name, "principal.registered", data, directory_add=name)
        except CaseExists:
            return None  # another process started first
        return None if key_text is not None else key.text

    # -- internals ------------------------------------------------------------------------------------------
    def _check(self, grants: Sequence[dict[str, Any]]) -> None:
        problems = grant_problems(grants)
        if problems:
            raise InvalidArgument(
                "the grants are not valid: " + "; ".join(problems),
                errors=[
                    {"pointer": "#/" + p.split(":")[0], "rule": "grant", "detail": p.split(": ", 1)[1]}
                    for p in problems
                ],
            )

    def _active(self, name: str) -> PrincipalState:
        state = self.get(name)
        assert state is not None
        if state.revoked is not None:
            raise InvalidArgument(f"principal {name!r} was revoked ({state.revoked}); register a new one")
        return state

    def _record(
        self, actor: Principal, name: str, act: str, data: dict[str, Any], directory_add: str | None = None
    ) -> None:
        event = self.ledger.catalog.event(act, source=SOURCE, subject=case_id(name), data=data, time=self.clock())
        self.ledger.record_internal(
            event, Trusted(actor.id), also=listing(PRINCIPALS, directory_add) if directory_add else None
        )
        with self._lock:
            self._cache.pop(name, None)

    def _fresh(self, name: str) -> PrincipalState:
        with self._lock:
            self._cache.pop(name, None)
        state = self.get(name)
        assert state is not None
        return state


def _key_json(key: KeyMaterial) -> dict[str, str]:
    return {"prefix": key.prefix, "digest": key.digest}
