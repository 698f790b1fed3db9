"""HTTP interface of the Merkle log: stored checkpoints and RFC 9162 proofs (``transparency_router``, the
ledger role: reads only, no key), and what needs the signing key (``sequencer_router``, the log role):
checkpoints signed on demand, the public key, and the sequencer's health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as FastAPIPath
from starlette.responses import PlainTextResponse, Response

from esledger.access.policy import Permission, Scope
from esledger.core.encoding import b64
from esledger.core.errors import InvalidArgument, NotFound, StorageUnavailable
from esledger.transparency.logstore import StoredCheckpoint
from esledger.transparency.models import (
    SIGNED_NOTE,
    VERIFIER_KEY,
    Bundle,
    Checkpoint,
    CheckpointList,
    ConsistencyProof,
    InclusionProof,
    LogHealth,
)
from esledger.transparency.service import Sequencer, TransparencyService
from esledger.transparency.tiles import TileError, parse_tile_path
from esledger.web.auth import AUTH_ERRORS, requires
from esledger.web.openapi import problem_responses
from esledger.web.parameters import BIGGEST
from esledger.web.responses import JSON


def _text(pattern: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 text/plain body (the route's response_class) with its format."""
    schema = {"type": "string", "pattern": pattern, "description": description}
    return {200: {"content": {PlainTextResponse.media_type: {"schema": schema}}}}


def _json(cp: StoredCheckpoint) -> dict[str, object]:
    return {"tree_size": cp.size, "root_hash": b64(cp.root), "signed_at": cp.signed_at, "checkpoint": cp.note}


def _binary(description: str) -> dict[int | str, dict[str, Any]]:
    schema = {"type": "string", "format": "binary", "description": description}
    return {200: {"content": {OCTETS: {"schema": schema}}}}


OCTETS = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
"""Full tiles never change: any cache may keep them (hash tiles reveal no event content)."""
PARTIAL = "public, max-age=10"


SEGMENTS = {"x-path-segments": "several"}
"""Marks a parameter that spans path segments (a tile index: x001/x234/067, or 000.p/5; a malformed one is
answered 404, as a file server would)."""


def _tile(kind: str, index: str) -> Any:
    try:
        return parse_tile_path(f"tile/{kind}/{index}")
    except TileError as exc:
        raise NotFound(str(exc)) from None


def transparency_router(log: TransparencyService) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/v1/log/checkpoint",
        summary="The latest checkpoint with every witness cosignature collected (C2SP tlog-tiles checkpoint)",
        response_class=PlainTextResponse,
        responses={
            **_text(SIGNED_NOTE, "a C2SP checkpoint, signed note: the log's signature, then witness cosignatures"),
            **problem_responses(NotFound, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def tlog_checkpoint(_: Annotated[Scope, requires(Permission.READ_LOG)]) -> Response:
        return PlainTextResponse(
            log.cosigned_latest(), media_type="text/plain; charset=utf-8", headers={"Cache-Control": "max-age=2"}
        )

    @router.get(
        "/v1/log/published",
        summary="The newest checkpoint cosigned by the witness policy's quorum: the one that counts as published",
        response_class=PlainTextResponse,
        responses={
            **_text(SIGNED_NOTE, "a C2SP checkpoint with at least the quorum's cosignatures"),
            **problem_responses(NotFound, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def tlog_published(_: Annotated[Scope, requires(Permission.READ_LOG)]) -> Response:
        return PlainTextResponse(
            log.published(), media_type="text/plain; charset=utf-8", headers={"Cache-Control": "max-age=2"}
        )

    @router.get(
        "/v1/log/tile/entries/{index:path}",
        summary="An entry bundle (C2SP tlog-tiles): each leaf's bytes, uint16 length-prefixed",
        response_class=Response,
        responses={
            **_binary("big-endian uint16 length-prefixed leaves (zfjd-leaf/1 or /2, RFC 8785 JSON)"),
            **problem_responses(NotFound, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def tlog_entries(
        _: Annotated[Scope, requires(Permission.READ_FEED)],
        index: Annotated[
            str,
            FastAPIPath(json_schema_extra=SEGMENTS, description="N in 3-digit groups, e.g. x001/234, or 000.p/5"),
        ],
    ) -> Response:
        tile = _tile("entries", index)
        return Response(
            log.entries(tile),
            media_type=OCTETS,
            headers={"Cache-Control": IMMUTABLE.replace("public", "private") if tile.full else "private, max-age=10"},
        )

    @router.get(
        "/v1/log/tile/{level}/{index:path}",
        summary="A tile of the Merkle tree (C2SP tlog-tiles): up to 256 hashes at one level",
        response_class=Response,
        responses={
            **_binary("concatenated 32-byte SHA-256 hashes"),
            **problem_responses(NotFound, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def tlog_tile(
        _: Annotated[Scope, requires(Permission.READ_LOG)],
        level: Annotated[str, FastAPIPath(description="0..63, no leading zeros (a tile path has one spelling)")],
        index: Annotated[
            str,
            FastAPIPath(json_schema_extra=SEGMENTS, description="N in 3-digit groups, e.g. x001/x234/067, or 000.p/5"),
        ],
    ) -> Response:
        tile = _tile(level, index)
        cache = IMMUTABLE if tile.full else PARTIAL
        return Response(log.tile(tile), media_type=OCTETS, headers={"Cache-Control": cache})

    @router.get(
        "/v1/checkpoints/latest",
        summary="The latest signed tree head (C2SP tlog-checkpoint, signed note)",
        response_class=PlainTextResponse,
        responses={
            **_text(SIGNED_NOTE, "a C2SP checkpoint, signed note"),
            **problem_responses(NotFound, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def latest(_: Annotated[Scope, requires(Permission.READ_LOG)]) -> Response:
        return PlainTextResponse(log.latest().note)

    @router.get(
        "/v1/checkpoints",
        summary="Stored checkpoints, newest first",
        responses={
            200: {"model": CheckpointList},
            **problem_responses(InvalidArgument, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def history(
        _: Annotated[Scope, requires(Permission.READ_LOG)],
        at_most: Annotated[int | None, Query(ge=1, le=BIGGEST, description="largest tree size")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Response:
        return JSON({"checkpoints": [_json(c) for c in log.history(at_most, limit)]})

    @router.get(
        "/v1/proofs/inclusion",
        summary="RFC 9162 inclusion proof of a ledger position",
        responses={
            200: {"model": InclusionProof},
            **problem_responses(InvalidArgument, NotFound, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def inclusion(
        scope: Annotated[Scope, requires(Permission.PROVE_INCLUSION)],
        position: Annotated[int, Query(ge=1, le=BIGGEST)],
        tree_size: Annotated[int | None, Query(ge=1, le=BIGGEST)] = None,
    ) -> Response:
        return JSON(log.inclusion(position, tree_size, scope))

    @router.get(
        "/v1/cases/{case_id}/bundle",
        summary="A case's evidence bundle against the latest checkpoint, for `esledger verify` offline",
        responses={200: {"model": Bundle}, **problem_responses(NotFound, StorageUnavailable, *AUTH_ERRORS)},
    )
    def bundle(case_id: str, scope: Annotated[Scope, requires(Permission.PROVE_INCLUSION)]) -> Response:
        return JSON(log.case_bundle(case_id, scope))

    @router.get(
        "/v1/proofs/consistency",
        summary="RFC 9162 consistency proof between two tree sizes",
        responses={
            200: {"model": ConsistencyProof},
            **problem_responses(InvalidArgument, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def consistency(
        _: Annotated[Scope, requires(Permission.READ_LOG)],
        first: Annotated[int, Query(alias="from", ge=1, le=BIGGEST)],
        second: Annotated[int, Query(alias="to", ge=1, le=BIGGEST)],
    ) -> Response:
        return JSON(log.consistency(first, second))

    return router


def sequencer_router(sequencer: Sequencer) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/checkpoints",
        status_code=201,
        summary="Integrate everything committed and sign now",
        responses={201: {"model": Checkpoint}, **problem_responses(StorageUnavailable, *AUTH_ERRORS)},
    )
    def make(_: Annotated[Scope, requires(Permission.MAKE_CHECKPOINT)]) -> Response:
        return JSON(_json(sequencer.checkpoint_now()), status_code=201)

    @router.get(
        "/v1/checkpoints/key",
        summary="The log's public key (signed-note verifier key)",
        response_class=PlainTextResponse,
        responses=_text(VERIFIER_KEY, "a signed-note verifier key; X-Development-Key: true marks a development key"),
    )
    def key() -> Response:
        signer = sequencer.signer
        return PlainTextResponse(
            signer.verifier_key + "\n", headers={"X-Development-Key": "true"} if signer.development else {}
        )

    @router.get(
        "/v1/log/health",
        summary="How far the Merkle log is behind the ledger; its latest checkpoint; the sequencer's state",
        responses={200: {"model": LogHealth}, **problem_responses(StorageUnavailable, *AUTH_ERRORS)},
    )
    def health(_: Annotated[Scope, requires(Permission.READ_HEALTH)]) -> Response:
        return JSON(sequencer.health())

    return router
