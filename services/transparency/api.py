"""HTTP interface of the Merkle log: signed checkpoints, the public key, and RFC 9162 proofs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from esledger.transparency.encoding import b64
from esledger.transparency.logstore import StoredCheckpoint
from esledger.transparency.service import TransparencyService
from esledger.web.responses import JSON

NOTE = "text/plain; charset=utf-8"


def _json(cp: StoredCheckpoint) -> dict[str, object]:
    return {"tree_size": cp.size, "root_hash": b64(cp.root), "signed_at": cp.signed_at, "checkpoint": cp.note}


def transparency_router(log: TransparencyService) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/checkpoints/latest", summary="The latest signed tree head (C2SP tlog-checkpoint, signed note)")
    def latest() -> Response:
        return Response(log.latest().note, media_type=NOTE)

    @router.get("/v1/checkpoints", summary="Stored checkpoints, newest first")
    def history(
        at_most: Annotated[int | None, Query(ge=1, description="largest tree size")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Response:
        return JSON({"checkpoints": [_json(c) for c in log.history(at_most, limit)]})

    @router.post("/v1/checkpoints", status_code=201, summary="Integrate everything committed and sign now")
    def make() -> Response:
        return JSON(_json(log.checkpoint_now()), status_code=201)

    @router.get("/v1/checkpoints/key", summary="The log's public key (signed-note verifier key)")
    def key() -> Response:
        return Response(
            log.signer.verifier_key + "\n",
            media_type=NOTE,
            headers={"X-Development-Key": "true"} if log.signer.development else {},
        )

    @router.get("/v1/proofs/inclusion", summary="RFC 9162 inclusion proof of a ledger position")
    def inclusion(
        position: Annotated[int, Query(ge=1)], tree_size: Annotated[int | None, Query(ge=1)] = None
    ) -> Response:
        return JSON(log.inclusion(position, tree_size))

    @router.get("/v1/proofs/consistency", summary="RFC 9162 consistency proof between two tree sizes")
    def consistency(
        first: Annotated[int, Query(alias="from", ge=1)], second: Annotated[int, Query(alias="to", ge=1)]
    ) -> Response:
        return JSON(log.consistency(first, second))

    return router
