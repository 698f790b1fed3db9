"""Tamper evidence, pure and storage-free: the RFC 9162 Merkle log (``merkle``), signed notes (``note``) and
checkpoints (``checkpoint``). The ledger stores what these compute; an offline verifier needs only these."""
