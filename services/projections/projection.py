"""What a ledger event does to the read model: a case entry is copied with the position the ledger gave it.
Idempotency keys are filtered out by topic before they reach here."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from services.ledger.case import Case
from services.ledger.store import ENTRY_TOPICS, entry_record
from services.projections.view import CaseViewMixin


class CaseProjection(Projection[CaseViewMixin]):
    name = "Projections"
    topics = ENTRY_TOPICS

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Case.Entry):
            self.view.apply(entry_record(domain_event, tracking.notification_id).to_json(), tracking)
