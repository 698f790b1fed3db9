"""Composes the HTTP services: the ledger, the projections, or both in one process (the embedded default).

In one process the ledger wakes the projection follower after each append, so reads catch up at once; as
separate services the projections follow the ledger's database (LISTEN/NOTIFY on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Literal

from fastapi import FastAPI

from services.ledger.api import DESCRIPTION, ledger_router
from services.ledger.instants import utc_now
from services.ledger.service import LedgerService
from services.ledger.settings import Settings
from services.projections.api import projections_router
from services.projections.service import ProjectionService
from services.projections.settings import ProjectionSettings
from services.transparency.api import transparency_router
from services.transparency.service import TransparencyService
from services.transparency.settings import LogSettings
from services.web import install_problem_handlers

Role = Literal["all", "ledger", "projections"]


def create_app(role: Role = "all", settings: Settings | None = None,
               projection_settings: ProjectionSettings | None = None,
               log_settings: LogSettings | None = None,
               clock: Callable[[], datetime] = utc_now) -> FastAPI:
    settings = settings or Settings()
    projection_settings = projection_settings or ProjectionSettings(database_url=settings.database_url)
    projections = ProjectionService(projection_settings, clock) if role != "ledger" else None
    log = TransparencyService(log_settings or LogSettings(database_url=settings.database_url)) \
        if role != "projections" else None
    followers = [f for f in (projections and projections.follower, log and log.follower) if f is not None]

    def notify() -> None:
        for follower in followers:
            follower.notify()

    ledger = LedgerService(settings, clock, on_append=notify) if role != "projections" else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if ledger is not None:
            ledger.open()  # tables first, before any follower touches them (a down database: 503s, not a crash)
        for part in (projections, log):
            if part is not None:
                part.start()
        try:
            yield
        finally:
            for part in (projections, log, ledger):
                if part is not None:
                    part.close()

    app = FastAPI(title=f"esledger ({role})", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.ledger, app.state.projections, app.state.log = ledger, projections, log
    install_problem_handlers(app)
    if ledger is not None and log is not None:
        app.include_router(ledger_router(ledger))
        app.include_router(transparency_router(log))
    if projections is not None:
        app.include_router(projections_router(projections))
    return app
