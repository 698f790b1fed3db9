"""Documentation of the app's own answers (liveness, problem types); see ``esledger.web.openapi``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from esledger.web.openapi import DocModel


class Health(DocModel):
    """The service answers, and the ledger's head position (0: empty)."""

    status: Literal["ok"]
    head: int = Field(ge=0, description="the global position of the last stored entry")


class ProblemTypeInfo(DocModel):
    """What a problem type means and what to do next."""

    type: str = Field(pattern="^/problems/[a-z-]+$")
    title: str
    status: int = Field(ge=400, le=599)
    advice: str
