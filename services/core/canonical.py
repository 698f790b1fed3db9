"""The canonical byte encoding every hash in the ledger is computed over.

RFC 8785 (JSON Canonicalization Scheme): sorted keys, no insignificant white space, UTF-8. The ledger
admits no floating-point numbers and only integers within ±(2**53 - 1) (RFC 7493 I-JSON), so the encoding of
any stored value is exact and any JCS implementation in any language reproduces it byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_bytes(value: Any) -> bytes:
    """The JCS encoding of a JSON value."""
    return rfc8785.dumps(value)


def sha256_hex(value: Any) -> str:
    """SHA-256 of the canonical encoding, as lowercase hex."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()
