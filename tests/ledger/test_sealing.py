"""Sealing and the confidential places of an event, without a database."""

from __future__ import annotations

import hashlib

from esledger.core.canonical import canonical_bytes
from esledger.ledger.confidential import amended_paths, locations
from esledger.ledger.sealing import MASK, masked, seal

EVENT = {"data": {"complainant": {"kind": "natural_person", "name": "张某"}, "persons": [{"name": "a"}, {"name": "b"}]}}
PATHS = ("/data/complainant", "/data/persons/*/name")


def test_each_value_is_replaced_by_its_salted_digest_with_a_salt_of_its_own() -> None:
    sealed = seal(EVENT, PATHS)
    assert [v.pointer for v in sealed.values] == ["/data/complainant", "/data/persons/0/name", "/data/persons/1/name"]
    assert len({v.salt for v in sealed.values}) == 3 and all(len(v.salt) == 16 for v in sealed.values)
    for v in sealed.values:
        [found] = locations(sealed.event, [v.pointer])
        digest = hashlib.sha256(v.salt + canonical_bytes(v.value)).hexdigest()
        assert found.value == {"x-confidential": f"sha256:{digest}"}
    assert EVENT["data"]["complainant"]["name"] == "张某"  # the event posted is left as it was
    assert seal(EVENT, PATHS).event != sealed.event  # fresh salts: nothing to compare across events


def test_resealing_with_the_original_salts_gives_the_original_and_names_what_has_no_salt() -> None:
    sealed = seal(EVENT, PATHS)
    salts = {v.pointer: v.salt for v in sealed.values}
    assert seal(EVENT, PATHS, salts).event == sealed.event
    del salts["/data/complainant"]
    partial = seal(EVENT, PATHS, salts)
    assert partial.unsalted == ("/data/complainant",)
    assert masked(partial.event, partial.unsalted) == masked(sealed.event, partial.unsalted)
    assert masked(sealed.event, ["/data/complainant"])["data"]["complainant"] == MASK
    assert "other" not in masked(sealed.event, ["/data/other"])["data"]


def test_an_amendment_carries_a_confidential_value_wherever_it_writes_into_a_confidential_place() -> None:
    def amending(*pointers: str) -> list[str]:
        event = {"data": {"amendments": [{"pointer": p, "value": None} for p in pointers]}}
        return list(amended_paths(event, PATHS))

    assert amending("/data/complainant/name") == ["/data/amendments/0/value"]
    assert amending("/data/complainant") == ["/data/amendments/0/value"]
    assert amending("/data/summary", "/data") == [
        "/data/amendments/1/value/complainant",
        "/data/amendments/1/value/persons/*/name",
    ]
    assert amending("") == ["/data/amendments/0/value/data/complainant", "/data/amendments/0/value/data/persons/*/name"]
    assert amending("/data/persons/1") == ["/data/amendments/0/value/name"]
    assert amending("/data/persons/x/name", "/time") == []
