"""What the ledger, the read side and the Merkle log share. ``instants``, ``pointers``, ``canonical`` and
``chain`` are pure (the domain core may use them); the rest touch storage."""
