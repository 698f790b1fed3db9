"""The HTTP service: the routers of the parts the process's role carries (the ledger, the log's reads, the
log's sequencer, the read side) and nothing else, so a role's OpenAPI document lists only what it answers;
one problem+json error shape, liveness and readiness, each role's health, and the meaning of every problem
type. The parts come built from the composition root (``esledger.bootstrap``); the app starts and stops them
with its lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from esledger.access.api import principals_router
from esledger.access.policy import Permission, Scope
from esledger.bootstrap import System
from esledger.console.app import console_app
from esledger.core.errors import NotFound, StorageUnavailable, Unavailable
from esledger.core.memory import Trimmer, freeze_startup, thaw, tune_allocator
from esledger.ledger.api import ledger_router
from esledger.projections.api import projections_router
from esledger.transparency.api import sequencer_router, transparency_router
from esledger.web.auth import AUTH_ERRORS, requires
from esledger.web.metrics import Metrics, install_metrics
from esledger.web.models import Health, LedgerHealth, ProblemTypeInfo, Readiness
from esledger.web.openapi import UNEXPECTED, install_openapi, problem_responses
from esledger.web.problems import TYPES, install_problem_handlers
from esledger.web.requestlog import RequestLog
from esledger.web.responses import JSON

logger = logging.getLogger("esledger.http")

DESCRIPTION = (
    "Upstream systems post supervisory acts (行政执法监督) as CloudEvents; every act is validated, stored "
    "immutably in a per-case hash chain, logged in an RFC 9162 Merkle tree with signed checkpoints, and read "
    "back as a timeline, a feed, or the read side's status, deadlines, findings and statistics."
)


def create_app(system: System) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tune_allocator()
        trimmer = Trimmer()
        await run_in_threadpool(system.start)  # opens tables: synchronous, kept off the event loop
        freeze_startup()
        trimmer.start()
        try:
            yield
        finally:
            trimmer.stop()
            thaw()
            await run_in_threadpool(system.close)

    app = FastAPI(title="esledger", version="1", description=DESCRIPTION, lifespan=lifespan, responses=UNEXPECTED)
    app.state.system = system
    install_problem_handlers(app)
    install_openapi(app)
    metrics = Metrics(system)
    app.add_middleware(RequestLog, observers=[metrics.on_request])
    install_metrics(app, metrics)
    settings = system.settings
    if system.ledger is not None:
        app.include_router(ledger_router(system.ledger, settings.max_body_bytes, settings.max_batch_events))
        app.include_router(principals_router(system.access.registry))
        _ledger_health(app, system)
    if system.transparency is not None:
        app.include_router(transparency_router(system.transparency))
    if system.sequencer is not None:
        app.include_router(sequencer_router(system.sequencer))
    if system.projections is not None:
        app.include_router(projections_router(system.projections))
    if system.projections is not None and system.ledger is not None:
        app.mount("/console", console_app(app, system))

    @app.get("/healthz", summary="Liveness: the process answers", responses={200: {"model": Health}})
    async def health() -> Response:
        """On the event loop, touching nothing: it answers while every worker thread waits on a database."""
        return JSON({"status": "ok", "role": system.role})

    @app.get(
        "/readyz",
        summary="Readiness: the database answers, the followers run and keep up (public: no content)",
        responses={200: {"model": Readiness}, **problem_responses(Unavailable)},
    )
    def ready() -> Response:
        """Public, for probes that cannot authenticate, so it tells nothing but ready or not (why: logged)."""
        if (why := system.unready()) is not None:
            logger.warning("not ready", extra={"cause": why})
            raise Unavailable("not ready", retry_after=settings.retry_after_seconds)
        return JSON({"status": "ready"})

    @app.get(
        "/problems/{slug}",
        summary="What a problem type means and what to do next",
        responses={200: {"model": ProblemTypeInfo}, **problem_responses(NotFound)},
    )
    def get_problem_type(slug: str) -> Response:
        if slug not in TYPES:
            raise NotFound(f"no problem type {slug!r}")
        t = TYPES[slug]
        return JSON({"type": f"/problems/{slug}", "title": t.title, "status": t.status, "advice": t.advice})

    return app


def _ledger_health(app: FastAPI, system: System) -> None:
    """The ledger role's health: the database answers, and the ledger's head (the followers' lag is in
    their own roles' health)."""
    storage = system.storage

    @app.get(
        "/v1/ledger/health",
        summary="The ledger's database answers; its highest position",
        responses={200: {"model": LedgerHealth}, **problem_responses(StorageUnavailable, *AUTH_ERRORS)},
    )
    def ledger_health(_: Annotated[Scope, requires(Permission.READ_HEALTH)]) -> Response:
        with storage.availability.guard():
            return JSON({"head": storage.store.get().head()})
