"""esledger: an event-sourced audit ledger for 行政执法监督 (administrative law-enforcement supervision).

Where an act goes, and where to read about it:

- ``ledger/``: an act posted as a CloudEvent is validated (``validation.py``, against the published
  ``schemas/``), appended through the one write path (``appender.py``) to its case's hash chain (``case.py``)
  and stored immutably (``store.py``);
- ``projections/``: the read model follows the ledger (``projection.py``) and answers status, deadlines,
  findings and statistics (``queries.py``) through the pure ``domain/`` core, live or as of any instant;
- ``transparency/``: every stored entry becomes a leaf of an RFC 9162 Merkle log with signed checkpoints,
  proofs and offline-verifiable bundles;
- ``core/``: what those parts share (the stored record, the chain hash, instants, canonical JSON, typed
  errors, followers, storage handles);
- ``bootstrap.py`` builds them once per process; ``web/`` (HTTP, RFC 9457, OpenAPI) and ``cli/`` are the
  two ways in.
"""
