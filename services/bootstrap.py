"""The composition root: builds every part of a process once — settings, the published schemas, the rules
as data, one event store shared by all services, the services of the process's role and the followers that
keep the read model and the Merkle log up with the ledger. The HTTP app and the CLI both start here.

A role is what one process carries (``esledger serve --role``): ``ledger`` the write and read API and the
log's reads (no follower, no key); ``projections`` the read side and its follower; ``log`` the Merkle
sequencer with the signing key; ``all`` everything (the embedded quickstart). Each part reads and writes
only the shared database, so roles run as separate processes, several of each.

Anything unusable (no catalog, no rule set, a bad signing key) stops the process here, at start, with what
to do; a database that is down does not: requests answer 503 and followers retry until it is back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from esledger.access.oidc import TokenValidator
from esledger.access.ratelimit import RateLimiter
from esledger.access.registry import PrincipalRegistry
from esledger.access.service import AccessService
from esledger.core.availability import Availability
from esledger.core.database import is_postgres
from esledger.core.errors import StorageUnavailable
from esledger.core.following import Follower
from esledger.core.instants import Clock, utc_now
from esledger.core.schemas import SchemaDirectory
from esledger.core.storage import Handle
from esledger.ledger.catalog import Catalog
from esledger.ledger.service import LedgerService
from esledger.ledger.store import EVENTS_TABLE, LedgerStore, open_store
from esledger.projections import readmodel
from esledger.projections.projection import Projector, catch_up
from esledger.projections.readmodel import PostgresReadModel, ReadModel, SQLiteReadModel
from esledger.projections.service import ProjectionService
from esledger.rulefiles import load_organisations, load_policy, load_sanctions
from esledger.settings import Settings
from esledger.transparency import logstore
from esledger.transparency.logstore import MerkleStore, PostgresMerkleStore, SQLiteMerkleStore
from esledger.transparency.service import Sequencer, TransparencyService
from esledger.transparency.signer import load_signer
from esledger.transparency.witnessing import Witnessing, WitnessPolicy, load_witness_policy

logger = logging.getLogger("esledger")

Role = Literal["all", "ledger", "projections", "log"]
ROLES: tuple[Role, ...] = ("all", "ledger", "projections", "log")

PROJECTION_GATHER_SECONDS = 0.01
"""How long the projection follower lets a burst of appends gather once woken: short, since read-your-writes
waits for it."""


def carries(role: Role, part: Role) -> bool:
    return role in ("all", part)


class Storage:
    """The process's one event store and the other parts' tables on its datastore (one connection pool),
    each opened on first use; ``availability`` turns a database that does not answer into 503s."""

    def __init__(self, settings: Settings) -> None:
        self.database_url = settings.database_url
        self.availability = Availability(
            settings.database_url, settings.retry_after_seconds, settings.unavailable_after_seconds
        )
        self.store: Handle[LedgerStore] = Handle(lambda: open_store(self.database_url))
        postgres = is_postgres(settings.database_url)
        read_model: type[ReadModel] = PostgresReadModel if postgres else SQLiteReadModel
        merkle: type[MerkleStore] = PostgresMerkleStore if postgres else SQLiteMerkleStore
        self.read_model = Handle(lambda: self.store.get().tracking_recorder(read_model, readmodel.TABLE))
        self.merkle = Handle(lambda: self.store.get().tracking_recorder(merkle, logstore.TABLE))

    def open(self) -> None:
        """Open every handle now, serially (PostgreSQL's CREATE TYPE is not safe against a concurrent
        creator); a database that is down is no reason not to start."""
        with contextlib.suppress(StorageUnavailable), self.availability.guard():
            for handle in (self.store, self.read_model, self.merkle):
                handle.get()

    def close(self) -> None:
        for handle in (self.merkle, self.read_model, self.store):
            handle.close()


@dataclass
class System:
    settings: Settings
    role: Role
    clock: Clock
    schemas: SchemaDirectory
    catalog: Catalog
    storage: Storage
    access: AccessService
    internal: LedgerService
    """The ledger's write path for what the ledger records itself (principals), in every role."""
    ledger: LedgerService | None = None
    projections: ProjectionService | None = None
    transparency: TransparencyService | None = None
    """The log's reads (checkpoints, proofs): the ledger role."""
    sequencer: Sequencer | None = None
    """The log's writer and signer: the log role."""
    followers: list[Follower] = field(default_factory=list)

    announce: Callable[[str], None] = lambda key: None
    """Told the operator's API key when a first start registers it (``esledger serve`` prints it, once)."""

    def start(self) -> None:
        self.storage.open()
        self.check_signing_key()
        if self.access.disabled:
            logger.warning(
                "AUTHENTICATION IS OFF (ESLEDGER_AUTH_DISABLED): every request acts as an all-powerful "
                "developer; never run this way outside a development machine"
            )
        elif self.ledger is not None:
            self._first_start()
        for follower in self.followers:
            follower.start()
        if self.followers and self.sequencer is not None and self.sequencer.witnessing is not None:
            self.sequencer.witnessing.start()
            self.sequencer.witnessing.notify()

    def check_signing_key(self) -> None:
        """A process that signs refuses a key other than the log's (``transparency.rotation``); a database
        that is down: checked again before the first signature."""
        if self.sequencer is not None:
            with contextlib.suppress(StorageUnavailable), self.storage.availability.guard():
                self.sequencer.check_key()

    def _first_start(self) -> None:
        """Register the operator on a deployment with no principal (a database that is down: next start); only
        a process serving the ledger does, so the key is printed where principals are administered."""
        given = self.settings.admin_key.get_secret_value() if self.settings.admin_key else None
        with contextlib.suppress(StorageUnavailable), self.storage.availability.guard():
            key = self.access.registry.ensure_operator(given)
            if key is not None:
                self.announce(key)

    def unready(self) -> str | None:
        """Why this process should get no traffic (None: ready): a follower it runs has stopped, the database
        does not answer (within the availability budget), or the read model or the Merkle log it serves lags
        the ledger by more than ``ready_max_lag`` events."""
        if stopped := [f.name for f in self.followers if not f.running]:
            return f"followers stopped: {', '.join(stopped)}"
        try:
            with self.storage.availability.guard():
                head = self.storage.store.get().head()
                lags = {"ledger": 0}
                if self.projections is not None:
                    lags["read model"] = head - self.storage.read_model.get().position()
                if self.sequencer is not None:
                    lags["Merkle log"] = head - self.storage.merkle.get().position()
        except StorageUnavailable as exc:
            return exc.detail
        part, lag = max(lags.items(), key=lambda item: item[1])
        return f"the {part} lags {lag} events behind the ledger" if lag > self.settings.ready_max_lag else None

    def close(self) -> None:
        for follower in self.followers:
            follower.stop()
        if self.sequencer is not None and self.sequencer.witnessing is not None:
            self.sequencer.witnessing.stop()
        self.storage.close()


def bootstrap(
    settings: Settings | None = None, *, role: Role = "all", clock: Clock = utc_now, follow: bool = True
) -> System:
    """Every part the role needs, built once; ``follow=False`` leaves the followers out (CLI commands, and the
    API workers of ``esledger serve --workers``, whose parent process runs them)."""
    settings = settings or Settings()
    schemas = SchemaDirectory.locate(settings.schemas_dir)
    catalog = Catalog.load(schemas)
    storage = Storage(settings)
    followers: list[Follower] = []

    def notify_followers() -> None:
        for follower in followers:
            follower.notify()

    ledger = LedgerService(
        storage.store,
        storage.availability,
        catalog,
        clock,
        max_future_seconds=settings.max_future_seconds,
        sanctions=load_sanctions(schemas),
        on_append=notify_followers,
    )
    registry = PrincipalRegistry(
        ledger, storage.store, storage.availability, clock, cache_seconds=settings.auth_cache_seconds
    )
    access = AccessService(
        registry,
        load_organisations(schemas),
        tokens=token_validator(settings),
        requests=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        failures=RateLimiter(settings.failed_auth_per_minute / 60, max(1, int(settings.failed_auth_per_minute))),
        disabled=settings.auth_disabled,
    )
    system = System(settings, role, clock, schemas, catalog, storage, access, ledger, followers=followers)
    policy: WitnessPolicy | None = (
        load_witness_policy(settings.witness_policy_file) if settings.witness_policy_file else None
    )

    if carries(role, "ledger"):
        system.ledger = ledger
        system.transparency = TransparencyService(
            storage.merkle, storage.store, storage.availability, catalog.confidential_paths, policy
        )
    if carries(role, "projections"):
        hidden = frozenset(a.opens for a in catalog.acts.values() if a.opens and a.internal)
        projector = Projector(load_policy(settings, schemas, catalog), clock, hidden)
        system.projections = ProjectionService(
            storage.read_model,
            storage.store,
            storage.availability,
            projector,
            max_wait_seconds=settings.max_wait_seconds,
            max_waiting=settings.max_waiting_reads,
        )
    if carries(role, "log"):
        system.sequencer = Sequencer(
            storage.merkle,
            storage.store,
            storage.availability,
            catalog.confidential_paths,
            load_signer(settings.signing_key_file, settings.dev_key_file, settings.log_origin),
            clock,
            checkpoint_interval_seconds=settings.checkpoint_interval_seconds,
            rotate=settings.signing_key_rotate,
        )
        if policy is not None:
            system.sequencer.witnessing = Witnessing(
                storage.merkle,
                storage.availability,
                policy,
                clock,
                timeout_seconds=settings.witness_timeout_seconds,
                retry_seconds=settings.witness_retry_seconds,
            )
    if follow:
        followers.extend(followers_of(system))
    return system


def followers_of(system: System) -> list[Follower]:
    """The followers of the parts this process carries, each attached to its part (health, read-your-writes
    hints). Each wakes on the ledger's NOTIFY channel on PostgreSQL, on this process's appends, and by polling."""
    storage, settings = system.storage, system.settings
    listen = (settings.database_url, EVENTS_TABLE) if is_postgres(settings.database_url) else None
    followers = []
    if (projections := system.projections) is not None:
        projection = Follower(
            "projection",
            lambda: catch_up(storage.store.get(), storage.read_model.get(), projections.projector),
            listen=listen,
            gather=PROJECTION_GATHER_SECONDS,
        )
        projections.follower = projection
        followers.append(projection)
    if system.sequencer is not None:
        sequencer = Follower(
            "sequencer", system.sequencer.step, listen=listen, gather=settings.sequencer_gather_seconds
        )
        system.sequencer.follower = sequencer
        followers.append(sequencer)
    return followers


def token_validator(settings: Settings) -> TokenValidator | None:
    """Single sign-on, when an issuer is configured."""
    if settings.oidc_issuer is None:
        return None
    return TokenValidator(
        settings.oidc_issuer,
        settings.oidc_audience,
        settings.oidc_jwks_url,
        settings.oidc_jwks_file,
        roles_claim=settings.oidc_roles_claim,
        units_claim=settings.oidc_units_claim,
        cases_claim=settings.oidc_cases_claim,
    )
