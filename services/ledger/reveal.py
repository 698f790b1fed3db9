"""How a stored record is shown to a reader: the event always as stored, so anyone can recompute every hash;
to a reader who may see confidential values, the values of a sealed event beside it, each with its salt so
the reader checks it against the event's marker:

    "confidential": {"/data/complainant": {"value": {...}, "salt": "<base64>"},
                     "/data/other": {"erased": {"case_version": 7}}}

(an erased value names the version of the ``case.confidential_erased`` act that erased it). A value the event
holds inline (a ``zfjd-record/1`` record stored before sealing, or a place the schemas marked confidential
after the event was stored) is shown as stored to such a reader, and redacted for everyone else. A record with
nothing confidential is shown as stored to everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from esledger.core.encoding import b64
from esledger.core.record import LedgerRecord
from esledger.ledger.confidential import Location, locations, redact
from esledger.ledger.sealing import is_sealed
from esledger.ledger.values import CaseValues, ValueRef


def inline_values(record: LedgerRecord, paths: Sequence[str]) -> list[str]:
    """Where the stored event holds a confidential value itself, not sealed (inside the record's hash)."""
    return _unsealed(locations(record.event, paths))


def _unsealed(found: Sequence[Location]) -> list[str]:
    return [f.pointer for f in found if not is_sealed(f.value)]


def shown(record: LedgerRecord, paths: Sequence[str], values: CaseValues | None) -> tuple[LedgerRecord, list[ValueRef]]:
    """The record as a reader sees it (``values``: the case's, for a reader who may see them; None for one
    who may not), and the values it shows (for the access log)."""
    found = locations(record.event, paths)
    inline = _unsealed(found)
    if values is None:
        return (replace(record, event=redact(record.event, inline)) if inline else record), []
    confidential: dict[str, Any] = {}
    for sealed in (f for f in found if is_sealed(f.value)):
        key = (record.case_version, sealed.pointer)
        if key in values.values:
            value = values.values[key]
            confidential[sealed.pointer] = {"value": value.value, "salt": b64(value.salt)}
        elif key in values.erased:
            confidential[sealed.pointer] = {"erased": {"case_version": values.erased[key]}}
    shown_values = inline + [p for p, c in confidential.items() if "value" in c]
    revealed = [ValueRef(record.case_id, record.case_version, pointer) for pointer in shown_values]
    return (replace(record, confidential=confidential) if confidential else record), revealed
