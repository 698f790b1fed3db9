"""Tamper evidence: the RFC 9162 Merkle log (``merkle``), C2SP signed notes (``note``) and checkpoints
(``checkpoint``), the leaf format (``leaf``) — pure, all an offline verifier needs — and their storage
(``logstore``), the sequencer and proofs (``service``), evidence bundles (``bundle``) and the live audit
(``audit``)."""
