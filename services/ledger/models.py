"""Documentation of the ledger's answers (``esledger.core.record.LedgerRecord.to_json`` and the router's
own bodies); see ``esledger.web.openapi``. Nothing is validated against these models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from esledger.web.openapi import DocModel, omitted

Sha256 = Annotated[str, Field(pattern="^[0-9a-f]{64}$", description="SHA-256, lowercase hex")]
Pointer = Annotated[str, Field(pattern=r"^(/([^~/]|~[01])*)+$", max_length=1000, description="a JSON Pointer")]


class Revealed(DocModel):
    """A confidential value shown beside its sealed event; SHA-256(salt ‖ JCS(value)) is the marker's digest."""

    value: Any = Field(description="the value, as posted")
    salt: str = Field(description="its salt, standard base64")


class ErasedBy(DocModel):
    case_version: int = Field(ge=1, description="the version of the case.confidential_erased act that erased it")


class Erased(DocModel):
    """A confidential value that was erased: the sealed event keeps its marker, nothing else of it remains."""

    erased: ErasedBy


class LedgerRecord(DocModel):
    """One stored case entry: the act's CloudEvent as stored, where the ledger put it, who recorded it and
    when, and its place in the case's hash chain."""

    format: Literal["zfjd-record/2"] = omitted(
        "the record format (README: Confidentiality); absent: zfjd-record/1, the event exactly as accepted"
    )
    case_id: str
    case_kind: str
    case_version: int = Field(ge=1)
    position: int = Field(ge=1, description="the global position in commit order (the feed's and the log's)")
    recorded_at: datetime
    recorded_by: str
    prev_hash: Sha256 = Field(description="the previous entry's hash; 64 zeros for version 1")
    hash: Sha256
    event: dict[str, Any] = Field(
        description="the CloudEvent as stored (schema: GET /v1/schemas/urn:zfjd:schema:envelope:2); in a "
        'zfjd-record/2 record each confidential value is sealed: {"x-confidential": "sha256:<hex>"}'
    )
    confidential: dict[str, Revealed | Erased] = omitted(
        "the sealed event's confidential values by pointer, only for a reader who may see them (the read is "
        "logged in the access log); never part of any hash"
    )


class ChainCheck(DocModel):
    """The case's hash chain recomputed: valid, or the first version where it breaks and why."""

    valid: bool
    head: Sha256 = Field(description="the hash of the last entry checked in order")
    broken_at_version: int = omitted("only when not valid")
    reason: str = omitted("only when not valid")


class Timeline(DocModel):
    """A case's records in version order; ``version`` (also the ETag) is how many there are."""

    case_id: str
    case_kind: str | None = Field(description="null when recorded_before leaves no record")
    version: int = Field(ge=0)
    chain: ChainCheck
    records: list[LedgerRecord]


class Feed(DocModel):
    """The next records in commit order; ask again with ``after=next_after`` until it reaches ``head``."""

    records: list[LedgerRecord]
    next_after: int = Field(ge=0)
    head: int = Field(ge=0)


class BatchItem(DocModel):
    """One event of the batch, in order: newly recorded, or the record an earlier identical post made."""

    outcome: Literal["created", "duplicate"]
    record: LedgerRecord


class ActEntry(DocModel):
    type: str
    title: str
    articles: list[str] = Field(description="articles of 《行政执法监督制度》 (the seed) the act serves")
    tiaoli_articles: list[str] = Field(description="articles of 《行政执法监督条例》 (from 2026-02-01) the act serves")
    case_kinds: list[str] = Field(description="the case kinds the act is admitted on")
    opens_case_kind: str | None = Field(description="the case kind an opening act opens; null otherwise")
    current_version: int
    schemas: dict[str, str] = Field(description="data schema version -> its URL under /v1/schemas")
    internal: bool = Field(description="recorded by the ledger itself (principals); never accepted from clients")


class EventCatalog(DocModel):
    """The acts the ledger accepts, by name; the event type is the prefix followed by the name."""

    type_prefix: str
    acts: dict[str, ActEntry]


class PublishedSchema(DocModel):
    """A published JSON Schema (draft 2020-12); every keyword besides these is the schema's own."""

    model_config = ConfigDict(extra="allow")

    schema_dialect: Literal["https://json-schema.org/draft/2020-12/schema"] = Field(alias="$schema")
    id: str = Field(alias="$id", description="the id it is served under")


class ErasureRequest(BaseModel):
    """Which confidential value to erase, and on what ground (recorded in the case.confidential_erased act)."""

    model_config = ConfigDict(extra="forbid", strict=True)  # "1" is not a version: JSON types as written

    target_version: int = Field(ge=1, description="the case version whose event holds the value")
    pointer: Pointer = Field(description="where in that event, e.g. /data/complainant")
    reason: str = Field(min_length=1, max_length=4000)
    authority: str | None = Field(None, min_length=1, max_length=1000, description="e.g. a court order's number")


class RevealedPlace(DocModel):
    case_id: str
    case_version: int = Field(ge=1)
    pointer: str


class LogRecord(DocModel):
    """Where the logged read is in the ledger: its access.confidential_revealed record."""

    case_id: str = Field(description="ACCESS-<Beijing date>")
    case_version: int = Field(ge=1)
    position: int = Field(ge=1)


class AccessLogEntry(DocModel):
    """One read that showed confidential values."""

    recorded_at: datetime
    recorded_by: str = Field(description="the reader")
    revealed: list[RevealedPlace]
    endpoint: str = Field(description="method and path of the read")
    purpose: str = Field(description="the purpose the reader stated (X-Purpose), or (not stated)")
    record: LogRecord


class AccessLogEntries(DocModel):
    """The logged reads that match, oldest first."""

    entries: list[AccessLogEntry]
