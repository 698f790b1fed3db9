"""Standard base64 (RFC 4648 §4, padded), as signed notes, checkpoints, proofs and bundles write hashes."""

from __future__ import annotations

import base64
import binascii


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str, where: str, error: type[ValueError] = ValueError) -> bytes:
    """Strict decoding: anything but canonical standard base64 raises ``error`` naming ``where``."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{where} {text!r} is not standard base64") from None
