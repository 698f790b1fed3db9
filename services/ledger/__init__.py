"""The ledger: validates supervisory acts posted as CloudEvents, stores them immutably, reads them back.

In the order an event meets them: ``api.py`` (HTTP) → ``service.py`` → ``validation.py`` (JSON Schema from
the published catalog, ``catalog.py``) → ``appender.py`` (the one write path: idempotency, case rules,
sealing, the hash chain) → ``case.py`` (aggregates) → ``store.py`` (eventsourcing on SQLite or PostgreSQL),
which reads back ``esledger.core.record.LedgerRecord``. Confidential values: ``confidential.py`` (where),
``sealing.py`` (the salted digests the stored events hold), ``values.py`` (the values kept apart, erasures),
``reveal.py`` (a record as a reader sees it), ``accesslog.py`` (every read that shows a value).
"""
