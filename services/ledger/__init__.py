"""The ledger: validates supervisory acts posted as CloudEvents, stores them immutably, reads them back.

Where things happen, in the order an event meets them:
``api.py`` (HTTP, RFC 9457 problems) → ``validation.py`` (JSON Schema from ``schemas/``) →
``appender.py`` (the one write path: idempotency, case rules, hash chain) → ``case.py`` (aggregates) →
``store.py`` (eventsourcing on SQLite or PostgreSQL) → ``records.py`` (what reads return).
"""
