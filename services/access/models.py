"""Documentation of the principals' administration answers; see ``esledger.web.openapi``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from esledger.web.openapi import DocModel, omitted

Role = Literal["source", "inspector", "supervisor", "reviewer", "respondent", "observer", "admin"]


class GrantModel(DocModel):
    """One role and its scope (README "Who may do what")."""

    role: Role
    units: list[str] = omitted("unit codes: a jurisdiction (with every unit below), or a respondent's own units")
    source: str = omitted("a source grant: the CloudEvents source it posts as (* for any)")
    event_types: list[str] = omitted("a source grant: the acts it may post (family.* for a family); all if absent")
    cases: list[str] = omitted("an observer grant: the cases shared with it")


class Change(DocModel):
    act: str
    version: int = Field(ge=1)
    recorded_at: str
    recorded_by: str


class PrincipalModel(DocModel):
    """A principal as its case in the ledger leaves it; its key is never shown again, only its prefix."""

    name: str
    id: str = Field(description="what the ledger records as recorded_by: key:<name>")
    display_name: str | None
    grants: list[GrantModel]
    key_prefix: str = Field(description="esl_<name>.<generation>: names the current key in logs")
    revoked: str | None = Field(description="the reason it was revoked, or null")
    version: int = Field(ge=1, description="the version of the principal's case")
    history: list[Change]


class Me(DocModel):
    """Who the credential belongs to, and what it may do."""

    id: str = Field(description="what the ledger records as recorded_by")
    name: str
    roles: list[Role]
    grants: list[GrantModel]


class PrincipalList(DocModel):
    principals: list[PrincipalModel]


class WithKey(DocModel):
    """A principal and its new API key: shown this once, never stored (only its SHA-256 is)."""

    principal: PrincipalModel
    key: str = Field(pattern=r"^esl_[a-z0-9-]+\.[1-9][0-9]*_[A-Za-z0-9_-]{43}$")


class NewPrincipal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
    display_name: str | None = Field(None, min_length=1, max_length=200)
    grants: list[GrantModel]


class Grants(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grants: list[GrantModel]


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
