"""The read side: follows the ledger's global order and answers inspectors' and reviewers' questions.

``view.py`` (the read model and its tracking position, committed together) ← ``projection.py`` (what an
event does to the read model) ← ``follower.py`` (PostgreSQL LISTEN/NOTIFY runner, supervised; in-process
polling on SQLite) — and ``queries.py`` (answers, through the pure domain core, at a request time or
``as_of``) → ``api.py`` (HTTP). ``rebuild.py`` recomputes the read model from position 0.
"""
