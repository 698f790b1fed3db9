"""Named lists the ledger keeps beside its cases (the principals, the days with an access log): each name is
added in the same transaction as the case it names is opened, so the list never misses a case and nobody
has to read the whole ledger to enumerate them."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from esledger.ledger.appender import Aggregates, Also
from esledger.ledger.case import NAMESPACE


def index_id(name: str) -> UUID:
    return uuid5(NAMESPACE, f"directory:{name}")


class NameIndex(Aggregate):
    class Listed(Aggregate.Event):
        name: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, NameIndex)
            aggregate.names.append(self.name)

    def __init__(self) -> None:
        self.names: list[str] = []

    def add(self, name: str) -> None:
        self.trigger_event(self.Listed, name=name)


def names(store: Aggregates, index: UUID) -> list[str]:
    found = store.aggregate(index)
    return list(found.names) if isinstance(found, NameIndex) else []


def listing(index: UUID, name: str) -> Also:
    """What to save with a case's opening act so the index lists it (built afresh on each attempt)."""

    def also(store: Aggregates) -> list[Aggregate]:
        found = store.aggregate(index)
        current = found if isinstance(found, NameIndex) else NameIndex._create(NameIndex.Created, id=index)
        current.add(name)
        return [current]

    return also
