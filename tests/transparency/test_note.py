"""Signed notes: the published examples, round trips, and every way a note must be refused."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from esledger.transparency.note import (
    NoteError,
    generate_signer_key,
    key_id,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signer_key,
    verifier_key,
    verify_note,
)

# C2SP signed-note spec (github.com/C2SP/C2SP signed-note.md, "Example").
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# golang.org/x/mod sumdb/note/note_test.go (TestNewSigner, TestSign, TestOpen).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"


def test_spec_example_verifies() -> None:
    assert verify_note(SPEC_NOTE, SPEC_VKEY) == "This is an example message.\n"
    key = parse_verifier_key(SPEC_VKEY)
    assert (key.name, key.key_id.hex()) == ("example.com/foo", "530d903a")
    assert verifier_key(key.name, key.public_key) == SPEC_VKEY


def test_sumdb_keys_and_signature() -> None:
    name, private_key = parse_signer_key(PETER_SKEY)
    assert name == "PeterNeumann"
    assert key_id(name, private_key.public_key()).hex() == "c74f20a3"
    assert verifier_key(name, private_key.public_key()) == PETER_VKEY
    assert signer_key(name, private_key) == PETER_SKEY
    assert sign_note(TEXT, name, private_key) == TEXT + "\n" + PETER_SIG  # Ed25519 is deterministic


def test_signatures_by_other_keys_are_ignored() -> None:
    note = TEXT + "\n" + ENOCH_SIG + PETER_SIG
    assert verify_note(note, PETER_VKEY) == TEXT
    assert verify_note(note, ENOCH_VKEY) == TEXT


def test_generated_key_round_trip() -> None:
    skey, vkey = generate_signer_key("log.example/esledger")
    name, private_key = parse_signer_key(skey + "\n")  # a key file's trailing newline is fine
    note = sign_note("body\n", name, private_key)
    assert verify_note(note, vkey) == "body\n"
    assert parse_verifier_key(vkey).name == name


def test_tampered_body_fails() -> None:
    note = TEXT.replace("answer", "ANSWER") + "\n" + PETER_SIG
    with pytest.raises(
        NoteError,
        match=r"^note: signature line 1 by PeterNeumann\+c74f20a3 does not verify: "
        r"the note text or the signature was altered$",
    ):
        verify_note(note, PETER_VKEY)


def test_tampered_signature_fails() -> None:
    note = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[64:]
    with pytest.raises(NoteError, match="signature line 1 by PeterNeumann\\+c74f20a3 does not verify"):
        verify_note(note, PETER_VKEY)


def test_wrong_key_fails() -> None:
    _, other = generate_signer_key("PeterNeumann")  # same name, another key: another key ID
    with pytest.raises(
        NoteError,
        match=r"^note: no signature by PeterNeumann\+[0-9a-f]{8} "
        r"\(signed by: PeterNeumann\+c74f20a3\)$",
    ):
        verify_note(TEXT + "\n" + PETER_SIG, other)


def test_wrong_key_name_fails() -> None:
    _, private_key = parse_signer_key(PETER_SKEY)
    renamed = verifier_key("CarmenSandiego", private_key.public_key())
    with pytest.raises(NoteError, match=r"no signature by CarmenSandiego\+[0-9a-f]{8} \(signed by: PeterNeumann"):
        verify_note(TEXT + "\n" + PETER_SIG, renamed)
    misnamed = TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "CarmenSandiego")
    with pytest.raises(NoteError, match="no signature by PeterNeumann\\+c74f20a3 \\(signed by: CarmenSandiego"):
        verify_note(misnamed, PETER_VKEY)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (TEXT, "no blank line before the signature lines"),
        (TEXT + "\n", "no signature lines after the blank line"),
        (TEXT + "\n" + PETER_SIG[:-1], "the signature lines must end with a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character U\\+0001 at offset 0"),
        ("\ud800" + TEXT + "\n" + PETER_SIG, "not valid UTF-8 at offset 0"),
        (
            TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
            "signature line 1: 'Name x08go.*' is not standard base64",
        ),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "signature line 2 does not start with an em dash"),
        (TEXT + "\n— PeterNeumann !!!!\n", "signature line 1: '!!!!' is not standard base64"),
        (TEXT + "\n— PeterNeumann AAAA\n", "signature line 1: 3 bytes is too short"),
        (TEXT + "\n" + ENOCH_SIG * 101, "101 signature lines, more than the 100 accepted"),
    ],
)
def test_malformed_notes_fail(note: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        verify_note(note, PETER_VKEY)


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("PeterNeumann+c74f20a3", "expected <name>\\+<key ID>\\+<key>"),
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "key ID c74f20a4 does not match the key \\(expected c74f20a3\\)",
        ),
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "expected an Ed25519 key"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "expected an Ed25519 key"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name 'Peter Neumann'"),
    ],
)
def test_malformed_verifier_keys_fail(vkey: str, message: str) -> None:
    with pytest.raises(NoteError, match="^verifier key: .*" + message):
        parse_verifier_key(vkey)


@pytest.mark.parametrize(
    ("skey", "message"),
    [
        (PETER_VKEY, "expected PRIVATE\\+KEY\\+<name>"),
        (PETER_SKEY.replace("c74f20a3", "c74f20a4"), "key ID c74f20a4 does not match the key"),
        (PETER_SKEY.replace("PeterNeumann", "EnochRoot"), "key ID c74f20a3 does not match the key"),
        (PETER_SKEY[:-4], "expected an Ed25519 key"),
    ],
)
def test_malformed_signer_keys_fail(skey: str, message: str) -> None:
    with pytest.raises(NoteError, match="^signer key: .*" + message):
        parse_signer_key(skey)


def test_sign_refuses_what_verify_would_refuse() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(NoteError, match="must end with a newline"):
        sign_note("no newline", "name", key)
    with pytest.raises(NoteError, match="key name 'a\\+b'"):
        sign_note("text\n", "a+b", key)
    with pytest.raises(NoteError, match="control character U\\+0009"):
        sign_note("tab\there\n", "name", key)
