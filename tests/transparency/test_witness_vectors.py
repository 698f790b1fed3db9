"""The add-checkpoint exchange of another witness implementation's test suite, replayed against ours: the
requests (a real log's signed checkpoints and consistency proofs) and the statuses and 409 bodies it expects.

Source: FiloSottile/litetlog, cmd/litewitness/testdata/litewitness.txt (commit 3195373f7620), whose log is a
Sigsum log with the Ed25519 key ffdc2d4d…100f (origin sigsum.org/v1/tree/<SHA-256 of the key>). One answer
differs on purpose: for a log it does not know, litewitness answered 403 where c2sp.org/tlog-witness now
requires 404. On both backends of the witness's storage."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from esledger.transparency.cosignature import Cosigner, cosignatures, generate_witness_key, parse_witness_signer
from esledger.transparency.note import verifier_key
from esledger.transparency.witness import Witness, WitnessStore, witness_app

LOG_PUBLIC_KEY = "ffdc2d4d98e4124d3feaf788c0c2f9abfd796083d1f0495437f302ec79cf100f"
ORIGIN = "sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562"
SIG_1 = "UgIom7fPZTqpxWWhyjWduBvTvGVqsokMbqTArsQilegKoFBJQjUFAmQ0+YeSPM3wfUQMFSzVnnNuWRTYrajXpNUbIQY="
SIG_3 = "UgIom2VbtIcdFbwFAy1n7s6IkAxIY6J/GQOTuZF2ORV39d75cbAj2aQYwyJre36kezNobZs4SUUdrcawfAB8WVrx6go="
SIG_5 = "UgIomw/EOJmWi0i1FQsOj+etB7F8IccFam/jgd6wzRns4QPVmyEZtdvl1U2KEmLOZ/ASRcWJi0tW90dJWAShei7sDww="
ROOT_1 = "KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
ROOT_3 = "RcCI1Nk56ZcSmIEfIn0SleqtV7uvrlXNccFx595Iwl0="
ROOT_5 = "QrtXrQZCCvpIgsSmOsah7HdICzMLLyDfxToMql9WTjY="


def _request(old: int, proof: list[str], size: int, root: str, sig: str, origin: str = ORIGIN) -> bytes:
    lines = [f"old {old}", *proof, "", origin, str(size), root, "", f"— {origin} {sig}", ""]
    return "\n".join(lines).encode()


H1, H2 = "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "KgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
EXCHANGE = [
    (_request(0, [], 1, ROOT_1, SIG_1), 200, None),
    (_request(1, [H1, H2], 3, ROOT_3, SIG_3[:-2] + "x="), 403, None),  # signature altered
    (_request(1, [H1, H2], 3, ROOT_3, SIG_3, ORIGIN[:-1] + "3"), 404, None),  # unknown log (litewitness: 403)
    (_request(1, [], 3, ROOT_3, SIG_3), 422, None),  # no proof
    (_request(1, [H1, H2[:-6] + "AAABA="], 3, ROOT_3, SIG_3), 422, None),  # a wrong proof
    (_request(1, [H1, H2], 3, ROOT_3, SIG_3), 200, None),
    (
        _request(
            1,
            [H1, "+fUDV+k970B4I3uKrqJM4aP1lloPZP8mvr2Z4wRw2LI=", "KgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
            5,
            ROOT_5,
            SIG_5,
        ),
        409,
        "3\n",
    ),
    (
        _request(
            3,
            [
                H2,
                "KgMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "wgiIFdZfYNv6WU1OllBKsWnLYIS/DBMqt8Uh/S4OukE=",
                "KgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ],
            5,
            ROOT_5,
            SIG_5,
        ),
        200,
        None,
    ),
    (_request(0, [], 5, ROOT_5, SIG_5), 409, "5\n"),
]


async def test_the_litewitness_exchange(database_url: str) -> None:
    log_vkey = verifier_key(ORIGIN, Ed25519PublicKey.from_public_bytes(bytes.fromhex(LOG_PUBLIC_KEY)))
    name, key = parse_witness_signer(generate_witness_key("example.com/witness")[0])
    witness = Witness(name, key, [log_vkey], WitnessStore(database_url))
    transport = httpx.ASGITransport(app=witness_app(witness))
    async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
        for number, (body, status, text) in enumerate(EXCHANGE, 1):
            response = await client.post("/add-checkpoint", content=body)
            assert response.status_code == status, (number, response.text)
            if text is not None:
                assert response.text == text
            if status == 200:
                note = body.decode().split("\n\n", 1)[1]
                assert response.text.startswith("— example.com/witness ")
                assert name in cosignatures(note + response.text, [Cosigner(name, key.public_key())])
