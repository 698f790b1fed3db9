"""The write-side aggregates: a supervision case, and the claim on an idempotency key.

A ``Case`` is a hash-chained sequence of entries, one per supervisory act; its first entry opens it with a
kind. An ``IdempotencyKey`` exists once per CloudEvents (source, id): saving it in the same transaction as the
case entry makes (source, id) unique in the store itself (the library's "index aggregate" pattern), so two
concurrent posts of one event can never both be stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from esledger.core.canonical import canonical_bytes
from esledger.core.chain import GENESIS_HASH, RECORD_V1, RECORD_V2, entry_hash
from esledger.core.instants import format_instant
from esledger.domain.units import event_unit_mentions

NAMESPACE = UUID("6698ecc5-43d3-4fb6-8b2e-0a1d7e5f3c21")


def unit_codes(event: Mapping[str, Any]) -> set[str]:
    return {unit["code"] for _, unit in event_unit_mentions(event)}


def involved_units(events: Iterable[Mapping[str, Any]]) -> set[str]:
    """The units a case's events name: what its readers' scope is judged on."""
    return set().union(*(unit_codes(event) for event in events))


def case_uuid(case_id: str) -> UUID:
    return uuid5(NAMESPACE, "case:" + case_id)


def key_uuid(source: str, event_id: str) -> UUID:
    return uuid5(NAMESPACE, "key:" + canonical_bytes([source, event_id]).decode())


class Case(Aggregate):
    class Entry(Aggregate.Event):
        """One recorded act. ``timestamp`` is the recorded time; the act's own time is in the CloudEvent, as
        the ledger stores it (sealed, from ``zfjd-record/2`` on)."""

        case_id: str
        case_kind: str
        recorded_by: str
        prev_hash: str
        hash: str
        cloudevent: dict[str, Any]
        record_format: str

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Entries stored before record formats were versioned hold their events unsealed."""
            state["record_format"] = RECORD_V1

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.head_hash = self.hash
            aggregate.units |= unit_codes(self.cloudevent)

    class Opened(Entry, Aggregate.Created):
        """The opening act of a case kind; it creates the case."""

    def __init__(
        self,
        case_id: str,
        case_kind: str,
        recorded_by: str,
        prev_hash: str,
        hash: str,  # noqa: A002 - the event attribute's name
        cloudevent: dict[str, Any],
    ) -> None:
        self.case_id = case_id
        self.case_kind = case_kind
        self.head_hash = hash
        self.units: set[str] = unit_codes(cloudevent)
        """The codes of every unit the case's acts name (never the complainant): whose case it is, for
        deciding who may write to it without reading its history."""

    @classmethod
    def open(
        cls, *, case_id: str, case_kind: str, cloudevent: dict[str, Any], recorded_at: datetime, recorded_by: str
    ) -> Case:
        """Open the case with its first entry; ``cloudevent`` is the event as stored (sealed)."""
        digest = entry_hash(
            case_id=case_id,
            case_kind=case_kind,
            case_version=1,
            recorded_at=format_instant(recorded_at),
            recorded_by=recorded_by,
            prev_hash=GENESIS_HASH,
            event=cloudevent,
            record_format=RECORD_V2,
        )
        return cls._create(
            cls.Opened,
            id=case_uuid(case_id),
            timestamp=recorded_at,
            case_id=case_id,
            case_kind=case_kind,
            recorded_by=recorded_by,
            prev_hash=GENESIS_HASH,
            hash=digest,
            cloudevent=cloudevent,
            record_format=RECORD_V2,
        )

    def record(self, *, cloudevent: dict[str, Any], recorded_at: datetime, recorded_by: str) -> None:
        """Append an act. Recorded times never go backwards within a case, whatever the host clocks do."""
        recorded_at = max(recorded_at, self.modified_on)
        digest = entry_hash(
            case_id=self.case_id,
            case_kind=self.case_kind,
            case_version=self.version + 1,
            recorded_at=format_instant(recorded_at),
            recorded_by=recorded_by,
            prev_hash=self.head_hash,
            event=cloudevent,
            record_format=RECORD_V2,
        )
        self.trigger_event(
            self.Entry,
            timestamp=recorded_at,
            case_id=self.case_id,
            case_kind=self.case_kind,
            recorded_by=recorded_by,
            prev_hash=self.head_hash,
            hash=digest,
            cloudevent=cloudevent,
            record_format=RECORD_V2,
        )


class IdempotencyKey(Aggregate):
    """Claims a CloudEvents (source, id) for the case entry it produced, with the content's digest: of the
    event as sealed (``sealed``), so no unsalted digest of a confidential value is ever stored; keys claimed
    before sealing hold the digest of the event as posted."""

    class Claimed(Aggregate.Created):
        source: str
        event_id: str
        digest: str
        case_id: str
        case_version: int
        sealed: bool

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["sealed"] = False

    def __init__(self, source: str, event_id: str, digest: str, case_id: str, case_version: int, sealed: bool) -> None:
        self.source = source
        self.event_id = event_id
        self.digest = digest
        self.case_id = case_id
        self.case_version = case_version
        self.sealed = sealed

    @classmethod
    def claim(
        cls, *, source: str, event_id: str, digest: str, case_id: str, case_version: int, recorded_at: datetime
    ) -> IdempotencyKey:
        return cls._create(
            cls.Claimed,
            id=key_uuid(source, event_id),
            timestamp=recorded_at,
            source=source,
            event_id=event_id,
            digest=digest,
            case_id=case_id,
            case_version=case_version,
            sealed=True,
        )
