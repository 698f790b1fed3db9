"""The witness (c2sp.org/tlog-witness) over HTTP, on its own storage on both backends: every answer of the
protocol, and a refusal of a forked checkpoint that holds across a restart of the witness."""

from __future__ import annotations

import hashlib
import threading

import httpx
import pytest

from esledger.transparency import merkle
from esledger.transparency.cosignature import Cosigner, cosignatures, generate_witness_key, parse_witness_signer
from esledger.transparency.merkle import MemoryTree, leaf_hash
from esledger.transparency.note import generate_signer_key, parse_signer_key
from esledger.transparency.signer import Signer
from esledger.transparency.witness import LogState, Witness, WitnessStore, witness_app
from esledger.transparency.witnessing import SIZE_MEDIA_TYPE, request_body

ORIGIN = "jingzhou.gov.cn/zfjd-ledger"


class Log:
    """A log in memory with a real key: its tree and its signed checkpoints."""

    def __init__(self, signer: Signer, leaves: int = 0, tag: bytes = b"") -> None:
        self.signer, self.tree, self.tag = signer, MemoryTree(), tag
        self.grow(leaves)

    def grow(self, n: int, tag: bytes | None = None) -> None:
        for _ in range(n):
            self.tree.append(leaf_hash((tag if tag is not None else self.tag) + self.tree.size.to_bytes(8, "big")))

    def note(self, size: int | None = None) -> str:
        size = self.tree.size if size is None else size
        return self.signer.checkpoint(size, merkle.root(size, self.tree))

    def body(self, old: int, size: int | None = None) -> bytes:
        size = self.tree.size if size is None else size
        proof = merkle.consistency_proof(old, size, self.tree) if 0 < old <= size else []
        return request_body(old, proof, self.note(size))


@pytest.fixture
def signer() -> Signer:
    name, key = parse_signer_key(generate_signer_key(ORIGIN)[0])
    return Signer(name, key)


@pytest.fixture
def witness_key() -> tuple[str, object]:
    return parse_witness_signer(generate_witness_key("sfj.jingzhou.gov.cn/witness")[0])


def make_witness(database_url: str, witness_key, signer: Signer) -> Witness:
    name, key = witness_key
    return Witness(name, key, [signer.verifier_key], WitnessStore(database_url))


async def post(witness: Witness, body: bytes) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=witness_app(witness)), base_url="http://w") as c:
        return await c.post("/add-checkpoint", content=body)


async def test_the_protocol_answers(database_url: str, witness_key, signer: Signer) -> None:
    witness = make_witness(database_url, witness_key, signer)
    log = Log(signer, 10)
    first = await post(witness, log.body(0))
    assert first.status_code == 200, first.text
    cosigner = Cosigner(witness.name, witness.key.public_key())
    assert witness.name in cosignatures(log.note() + first.text, [cosigner])
    # the same checkpoint again: old must now be 10 (409 says so, as text/x.tlog.size)
    again = await post(witness, log.body(0))
    assert again.status_code == 409 and again.text == "10\n"
    assert again.headers["content-type"].startswith(SIZE_MEDIA_TYPE)
    assert (await post(witness, log.body(10))).status_code == 200  # same size, same root
    log.grow(7)
    assert (await post(witness, log.body(10))).status_code == 200
    # a wrong proof
    body = log.body(17).replace(b"old 17\n", b"old 17\n" + b"A" * 43 + b"=\n")
    assert (await post(witness, body)).status_code == 422
    log.grow(5)
    bad = log.body(17).split(b"\n")
    bad[1] = b"A" * 43 + b"="
    assert (await post(witness, b"\n".join(bad))).status_code == 422
    # old above the checkpoint's size; malformed; unknown log; a key it does not trust
    assert (await post(witness, log.body(17).replace(b"old 17", b"old 99"))).status_code == 400
    assert (await post(witness, b"old 01\n\n" + log.note().encode())).status_code == 400
    assert (await post(witness, b"nonsense")).status_code == 400
    other_name, other_key = parse_signer_key(generate_signer_key("another.example/log")[0])
    assert (await post(witness, Log(Signer(other_name, other_key), 3).body(0))).status_code == 404
    impostor = Signer(ORIGIN, parse_signer_key(generate_signer_key(ORIGIN)[0])[1])
    assert (await post(witness, Log(impostor, 30).body(17))).status_code == 403
    # the monitoring interface: the latest cosigned checkpoint, with the cosignature
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=witness_app(witness)), base_url="http://w") as c:
        latest = await c.get(f"/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint")
        assert latest.status_code == 200 and latest.text.startswith(log.note(17).split("\n\n")[0])
        assert witness.name in cosignatures(latest.text, [cosigner])
        assert (await c.get(f"/{'0' * 64}/checkpoint")).status_code == 404


async def test_a_fork_is_refused_and_still_refused_after_a_restart(
    database_url: str, witness_key, signer: Signer
) -> None:
    honest = Log(signer, 20, b"a")
    witness = make_witness(database_url, witness_key, signer)
    assert (await post(witness, honest.body(0))).status_code == 200
    # a second history: the same first 12 leaves, then others, signed with the same (stolen or misused) key
    forked = Log(signer, 12, b"a")
    forked.grow(15, b"b")
    refused = await post(witness, forked.body(20))
    assert refused.status_code == 422
    assert "20" in refused.text and "27" in refused.text
    assert (await post(witness, forked.body(20, 20))).status_code == 422  # same size, other root
    assert witness.store.refusals(ORIGIN)

    restarted = make_witness(database_url, witness_key, signer)  # a new process on the same storage
    assert (await post(restarted, forked.body(0))).text == "20\n"  # it remembers its size
    assert (await post(restarted, forked.body(20))).status_code == 422
    assert (await post(restarted, forked.body(20, 20))).status_code == 422
    honest.grow(3)
    assert (await post(restarted, honest.body(20))).status_code == 200


def test_the_compare_and_swap_never_rolls_back(database_url: str, witness_key, signer: Signer) -> None:
    """Concurrent and replayed submissions: whatever order they land in, the stored size only grows."""
    witness = make_witness(database_url, witness_key, signer)
    log = Log(signer, 5)
    assert witness.add_checkpoint(log.body(0)).status == 200
    bodies = []
    for _ in range(6):
        log.grow(3)
        bodies.append(log.body(5))
    answers: list[int] = []
    threads = [threading.Thread(target=lambda b=b: answers.append(witness.add_checkpoint(b).status)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.count(200) >= 1 and set(answers) <= {200, 409}
    state = witness.store.state(ORIGIN)
    assert state is not None and state.size > 5
    assert not witness.store.swap(ORIGIN, LogState(5, b"x" * 32, ""), LogState(6, b"y" * 32, ""))
    assert witness.add_checkpoint(log.body(0)).status == 409  # a replay of the first request
    assert witness.store.state(ORIGIN).size == state.size
