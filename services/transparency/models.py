"""Documentation of the Merkle log's answers: checkpoints (C2SP signed notes) and RFC 9162 proofs; see
``esledger.web.openapi``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from esledger.web.openapi import DocModel, omitted

B64 = "[A-Za-z0-9+/]"
SIGNED_NOTE = rf"^[^\n]+\n(0|[1-9][0-9]*)\n{B64}{{43}}=\n([^\n]+\n)*\n(— [^\n ]+ {B64}+={{0,2}}\n)+$"
"""A C2SP checkpoint as a signed note: origin, tree size, base64 root hash, extension lines, a blank line,
then the signature lines."""
VERIFIER_KEY = rf"^[^+\s]+\+[0-9a-f]{{8}}\+{B64}+={{0,2}}\n$"
"""A signed-note verifier key (name+key id+base64 key), one line."""

Hash = Annotated[str, Field(pattern=rf"^{B64}{{43}}=$", description="SHA-256, standard base64")]


class Checkpoint(DocModel):
    tree_size: int = Field(ge=0)
    root_hash: Hash
    signed_at: datetime
    checkpoint: str = Field(pattern=SIGNED_NOTE, description="the signed note, as GET /v1/checkpoints/latest serves it")


class CheckpointList(DocModel):
    """Stored checkpoints, newest first."""

    checkpoints: list[Checkpoint]


class InclusionProof(DocModel):
    """RFC 9162 §2.1.3: the path from the position's leaf to the root of a tree of ``tree_size`` leaves."""

    position: int = Field(ge=1, description="the ledger position of the case entry")
    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: Hash
    root: Hash
    inclusion_path: list[Hash]


class ConsistencyProof(DocModel):
    """RFC 9162 §2.1.4: the tree of ``to`` leaves extends the tree of ``from`` leaves."""

    from_: int = Field(alias="from", ge=1)
    to: int = Field(ge=1)
    from_root: Hash
    to_root: Hash
    consistency_path: list[Hash]


class BundleEntry(DocModel):
    record: dict[str, Any] = Field(description="the record as stored (confidential values sealed)")
    leaf_index: int = Field(ge=0)
    leaf_hash: Hash
    inclusion_path: list[Hash]


class Bundle(DocModel):
    """A case's evidence bundle (``esledger verify BUNDLE --key <the log's key>`` checks it offline): every
    record of the case inside the checkpoint's tree, its leaf hash and inclusion proof, and the checkpoint."""

    format: str = Field(pattern="^zfjd-bundle/1$")
    scope: dict[str, Any]
    checkpoint: str = Field(pattern=SIGNED_NOTE)
    after_checkpoint: int = Field(ge=0, description="records of the case newer than the checkpoint, left out")
    entries: list[BundleEntry]


class CheckpointHead(DocModel):
    tree_size: int = Field(ge=0)
    signed_at: datetime


class LogHealth(DocModel):
    """How far the Merkle log is behind the ledger; the sequencer's state when this process runs it (with
    ``esledger serve --workers N`` the followers run in the parent process, not in the one answering)."""

    position: int = Field(ge=0, description="the last ledger position integrated")
    head: int = Field(ge=0, description="the ledger's highest position")
    lag: int = Field(ge=0)
    tree_size: int = Field(ge=0, description="leaves in the log")
    checkpoint: CheckpointHead | None = Field(description="the latest signed checkpoint (null: none yet)")
    follower: str = omitted("the follower's name, when this process runs the sequencer")
    restarts: int = omitted("how often the follower restarted, when this process runs it")
    last_error: str | None = omitted("the follower's last error (null: none), when this process runs it")
    integrations: int = omitted(
        "integration transactions this process committed since it started (a burst of appends: one)"
    )
    integrated: int = omitted("entries those integrations added")
    witnesses: dict[str, str] = omitted(
        "each configured witness's last outcome in this process (`cosigned N`, `refused …`, `error: …`), when a "
        "witness policy is configured"
    )
