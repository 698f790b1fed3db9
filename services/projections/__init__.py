"""The read side: follows the ledger's global order and answers inspectors' and reviewers' questions.

``projection.py`` copies each batch of ledger entries into ``readmodel.py`` and stores the view of every
case they touch (records, views, their rows and the tracking position committed together: exactly once) —
run by a follower that the composition root starts. ``service.py`` answers for now from the stored views in
SQL, paged, and ``as_of`` an instant through ``queries.py`` and the pure domain core; ``api.py`` serves
them. ``rebuild.py`` recomputes the read model from position 0 into fresh tables and swaps them in.
"""
