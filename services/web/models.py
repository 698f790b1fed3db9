"""Documentation of the app's own answers (liveness, readiness, problem types); see ``esledger.web.openapi``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from esledger.web.openapi import DocModel


class Health(DocModel):
    """The process answers (liveness: nothing about the ledger's content, which needs a principal)."""

    status: Literal["ok"]
    role: Literal["all", "ledger", "projections", "log"] = Field(description="what this process serves")


class Readiness(DocModel):
    """The process may take traffic (public: says nothing else; 503 when not, the cause in its log)."""

    status: Literal["ready"]


class LedgerHealth(DocModel):
    """The ledger's database answers."""

    head: int = Field(ge=0, description="the highest position stored")


class ProblemTypeInfo(DocModel):
    """What a problem type means and what to do next."""

    type: str = Field(pattern="^/problems/[a-z-]+$")
    title: str
    status: int = Field(ge=400, le=599)
    advice: str
