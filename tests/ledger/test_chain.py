"""The per-case hash chain detects any change to content, recorded metadata or order."""

from __future__ import annotations

import hashlib

from esledger.core.chain import GENESIS_HASH, entry_hash, verify_chain


def _chain(n: int) -> list[dict]:
    records, prev = [], GENESIS_HASH
    for v in range(1, n + 1):
        r = {
            "case_id": "GR-1",
            "case_kind": "grievance",
            "case_version": v,
            "recorded_at": f"2026-09-2{v}T01:00:00.000000Z",
            "recorded_by": "clerk",
            "prev_hash": prev,
            "event": {"id": f"e{v}", "data": {"n": v, "text": "受理"}},
        }
        r["hash"] = prev = entry_hash(**{k: r[k] for k in r if k != "hash"})
        records.append(r)
    return records


def test_intact_chain_verifies() -> None:
    records = _chain(4)
    check = verify_chain(records)
    assert check.valid and check.head == records[-1]["hash"]


def test_each_kind_of_alteration_is_named() -> None:
    cases = {
        "content": lambda rs: rs[1]["event"]["data"].__setitem__("n", 99),
        "recorded time": lambda rs: rs[1].__setitem__("recorded_at", "2026-09-22T01:00:00.000001Z"),
        "principal": lambda rs: rs[1].__setitem__("recorded_by", "someone-else"),
    }
    for name, alter in cases.items():
        records = _chain(4)
        alter(records)
        check = verify_chain(records)
        assert not check.valid and check.broken_at == 2, name
    records = _chain(4)
    del records[1]
    assert verify_chain(records).broken_at == 3
    records = _chain(4)
    records[1], records[2] = records[2], records[1]
    assert not verify_chain(records).valid


def test_the_hash_is_sha256_of_the_documented_canonical_bytes() -> None:
    """Pins the documented encoding (zfjd-record/1, RFC 8785): written out by hand here, so a verifier in any
    language can reproduce it byte for byte."""
    record = _chain(1)[0]
    canonical = (
        '{"case_id":"GR-1","case_kind":"grievance","case_version":1,'
        '"event":{"data":{"n":1,"text":"受理"},"id":"e1"},"format":"zfjd-record/1",'
        '"prev_hash":"' + "0" * 64 + '","recorded_at":"2026-09-21T01:00:00.000000Z","recorded_by":"clerk"}'
    ).encode()
    assert record["hash"] == hashlib.sha256(canonical).hexdigest()


def test_a_sealed_record_is_hashed_as_zfjd_record_2_and_an_unknown_format_breaks_the_chain() -> None:
    record = _chain(1)[0] | {"format": "zfjd-record/2"}
    fields = {k: record[k] for k in record if k not in ("hash", "format")}
    record["hash"] = entry_hash(**fields, record_format="zfjd-record/2")
    canonical = (
        '{"case_id":"GR-1","case_kind":"grievance","case_version":1,'
        '"event":{"data":{"n":1,"text":"受理"},"id":"e1"},"format":"zfjd-record/2",'
        '"prev_hash":"' + "0" * 64 + '","recorded_at":"2026-09-21T01:00:00.000000Z","recorded_by":"clerk"}'
    ).encode()
    assert record["hash"] == hashlib.sha256(canonical).hexdigest()
    assert verify_chain([record]).valid
    assert not verify_chain([record | {"format": "zfjd-record/1"}]).valid  # the format is inside the hash
    assert verify_chain([record | {"format": "zfjd-record/9"}]).reason == "unknown record format 'zfjd-record/9'"
