"""Leaf bytes, written out by hand: ``zfjd-leaf/1`` for records stored before sealing (unchanged), and
``zfjd-leaf/2`` for sealed records; values shown beside a record are never part of its leaf."""

from __future__ import annotations

import pytest

from esledger.transparency.leaf import leaf_bytes

RECORD = {
    "case_id": "GR-1",
    "case_kind": "grievance",
    "case_version": 1,
    "position": 7,
    "recorded_at": "2026-09-21T01:00:00.000000Z",
    "recorded_by": "clerk",
    "prev_hash": "0" * 64,
    "hash": "a" * 64,
    "event": {"id": "e1", "data": {"complainant": {"x-confidential": "sha256:" + "b" * 64}}},
}
MEMBERS = (
    '"case_id":"GR-1","case_kind":"grievance","case_version":1,'
    '"event":{"data":{"complainant":{"x-confidential":"sha256:' + "b" * 64 + '"}},"id":"e1"},'
)
REST = '"hash":"' + "a" * 64 + '","position":7,"prev_hash":"' + "0" * 64 + '",'
TIMES = '"recorded_at":"2026-09-21T01:00:00.000000Z","recorded_by":"clerk"'


def test_a_record_without_a_format_is_zfjd_leaf_1() -> None:
    expected = "{" + MEMBERS + '"format":"zfjd-leaf/1",' + REST + TIMES + "}"
    assert leaf_bytes(RECORD) == expected.encode()


def test_a_sealed_record_is_zfjd_leaf_2_and_shown_values_are_left_out() -> None:
    sealed = {"format": "zfjd-record/2", **RECORD}
    expected = '{"format":"zfjd-leaf/2","record":{' + MEMBERS + '"format":"zfjd-record/2",' + REST + TIMES + "}}"
    assert leaf_bytes(sealed) == expected.encode()
    shown = sealed | {"confidential": {"/data/complainant": {"value": {"name": "张某"}, "salt": "AAAA"}}}
    assert leaf_bytes(shown) == leaf_bytes(sealed)


def test_an_unknown_record_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown record format"):
        leaf_bytes(RECORD | {"format": "zfjd-record/9"})
