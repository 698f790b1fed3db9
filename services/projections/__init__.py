"""The read side: follows the ledger's global order and answers inspectors' and reviewers' questions.

``projection.py`` copies each ledger entry into ``readmodel.py`` (the records and the tracking position,
committed together: exactly once) — run by a follower that the composition root starts — and
``queries.py`` answers through the pure domain core, at the request time or ``as_of``; ``service.py`` and
``api.py`` serve them. ``rebuild.py`` recomputes the read model from position 0.
"""
