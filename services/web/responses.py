"""Responses every router shares: JSON rendered by orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JSON(JSONResponse):
    """A JSONResponse, so that FastAPI documents a route answering with it (``response_class``) as JSON."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class SchemaJSON(JSON):
    media_type = "application/schema+json"
