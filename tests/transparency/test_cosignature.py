"""C2SP tlog-cosignature (cosignature/v1, Ed25519): the spec's own example, key IDs and encodings computed
independently, and signing and verifying with real keys."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from esledger.transparency.cosignature import (
    Cosigner,
    cosign,
    cosignatures,
    generate_witness_key,
    parse_cosigner,
    parse_witness_signer,
    signed_message,
    verify_line,
    with_cosignatures,
)
from esledger.transparency.note import NoteError, generate_signer_key, parse_signer_key, sign_note

# From c2sp.org/tlog-cosignature (C2SP/C2SP tlog-cosignature.md, "Format" and "Ed25519 signed message"): the
# example checkpoint, its cosignature line by witness.example.com/w1, and the message signed at time 1679315147.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe"
    "+mbIUBkBIfZ+qnA=="
)
SPEC_MESSAGE = "cosignature/v1\ntime 1679315147\n" + SPEC_BODY


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_the_spec_example_line_has_the_layout_and_timestamp_of_the_spec_message() -> None:
    payload = base64.b64decode(SPEC_LINE.split(" ")[2])
    assert len(payload) == 4 + 8 + 64
    (timestamp,) = struct.unpack(">Q", payload[4:12])
    assert timestamp == 1679315147
    assert signed_message(SPEC_BODY, timestamp) == SPEC_MESSAGE.encode()


def test_key_id_and_vkey_follow_the_spec() -> None:
    key = Ed25519PrivateKey.generate()
    cosigner = Cosigner("witness.example/w1", key.public_key())
    expected = hashlib.sha256(b"witness.example/w1\n\x04" + _raw(key)).digest()[:4]
    assert cosigner.key_id == expected
    name, id_hex, material = cosigner.verifier_key.split("+", 2)
    assert (name, id_hex) == ("witness.example/w1", expected.hex())
    assert base64.b64decode(material) == b"\x04" + _raw(key)
    assert parse_cosigner(cosigner.verifier_key) == cosigner


def test_a_cosignature_line_is_key_id_timestamp_and_signature_over_the_message() -> None:
    skey, vkey = generate_witness_key("sfj.jingzhou.gov.cn/witness")
    name, key = parse_witness_signer(skey)
    line = cosign(SPEC_BODY, name, key, 1679315147)
    assert line.startswith("— sfj.jingzhou.gov.cn/witness ") and line.endswith("\n")
    payload = base64.b64decode(line.split(" ")[2])
    cosigner = parse_cosigner(vkey)
    assert payload[:4] == cosigner.key_id
    assert payload[4:12] == (1679315147).to_bytes(8, "big")
    key.public_key().verify(payload[12:], SPEC_MESSAGE.encode())  # raises if not the spec's message
    found = verify_line(SPEC_BODY, line.rstrip("\n"), cosigner)
    assert found is not None and found.timestamp == 1679315147


def test_cosignatures_on_a_checkpoint_note_are_found_and_others_ignored() -> None:
    log_skey, _ = generate_signer_key("example.com/behind-the-sofa")
    log_name, log_key = parse_signer_key(log_skey)
    note = sign_note(SPEC_BODY, log_name, log_key)
    witnesses = [parse_witness_signer(generate_witness_key(f"w{i}.example")[0]) for i in range(3)]
    lines = [cosign(SPEC_BODY, n, k, 1700000000 + i) for i, (n, k) in enumerate(witnesses[:2])]
    cosigned = with_cosignatures(note, lines)
    cosigners = [Cosigner(n, k.public_key()) for n, k in witnesses]
    assert sorted(cosignatures(cosigned, cosigners)) == ["w0.example", "w1.example"]
    assert cosignatures(note, cosigners) == {}
    # a cosignature over another checkpoint does not count
    other = cosign(SPEC_BODY.replace("20852163", "20852164"), *witnesses[2], 1700000000)
    assert "w2.example" not in cosignatures(with_cosignatures(note, [other]), cosigners)
    # the log's own (type 0x01) signature is no cosignature, even under a witness's name
    assert cosignatures(note, [Cosigner(log_name, log_key.public_key())]) == {}


def test_bad_keys_and_timestamps_are_refused() -> None:
    _, log_vkey = generate_signer_key("log.example")
    with pytest.raises(NoteError, match="0x04"):
        parse_cosigner(log_vkey)  # an ordinary note key (0x01) is not a cosigner key
    skey, _ = generate_witness_key("w.example")
    name, key = parse_witness_signer(skey)
    with pytest.raises(NoteError):
        cosign(SPEC_BODY, name, key, 0)
    # a type 0x01 private key (as transparency-dev/formats' cosigners take) is read too
    note_skey, _ = generate_signer_key("w2.example")
    assert parse_witness_signer(note_skey)[0] == "w2.example"
