"""Merkle log proofs at scale: build a log of N leaves in the real storage, then time inclusion and
consistency proofs (O(log n) stored-node reads each) and the offline verification rate.

    .venv/bin/python bench/merkle_proofs.py [--leaves 1000000] [--sqlite] [--samples 2000]

Leaves are synthetic hashes integrated through the same ``integrate`` the sequencer uses, in batches.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eventsourcing.persistence import Tracking  # noqa: E402
from services.transparency.log import TRACKING_NAME  # noqa: E402

from bench.append_throughput import database  # noqa: E402
from services.transparency import merkle  # noqa: E402
from services.transparency.service import open_log  # noqa: E402


def timed(fn, samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaves", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    rng = random.Random(7)
    with database(args.sqlite) as url:
        log = open_log(url)
        t = time.perf_counter()
        for start in range(0, args.leaves, args.batch):
            end = min(start + args.batch, args.leaves)
            leaves = [(i + 1, hashlib.sha256(i.to_bytes(8, "big")).digest()) for i in range(start, end)]
            log.integrate(leaves, Tracking(TRACKING_NAME, end))
            print(f"\r  integrated {end:,} / {args.leaves:,}", end="", file=sys.stderr)
        build = time.perf_counter() - t
        print(file=sys.stderr)
        n = log.size()
        with log.reading() as nodes:
            root = merkle.root(n, nodes)

        def inclusion_proof(index: int) -> list[bytes]:
            with log.reading() as nodes:  # as the API serves one: one checkout, O(log n) node reads
                return merkle.inclusion_proof(index, n, nodes)

        def consistency_proof(old: int) -> list[bytes]:
            with log.reading() as nodes:
                return merkle.consistency_proof(old, n, nodes)

        idx = [rng.randrange(n) for _ in range(args.samples)]
        it = iter(idx)
        inclusion = timed(lambda: inclusion_proof(next(it)), args.samples)
        olds = iter([rng.randrange(1, n) for _ in range(args.samples)])
        consistency = timed(lambda: consistency_proof(next(olds)), args.samples)
        proofs = [(i, inclusion_proof(i)) for i in idx[:500]]
        leaf = [log.leaves(i, i + 1)[0].hash for i, _ in proofs]
        t = time.perf_counter()
        rounds = 0
        while time.perf_counter() - t < 2.0:
            for (i, p), h in zip(proofs, leaf, strict=True):
                merkle.verify_inclusion(h, i, n, p, root)
            rounds += 1
        verify_rate = rounds * len(proofs) / (time.perf_counter() - t)
        log.close()

    def ms(xs: list[float], q: int) -> str:
        return f"{statistics.quantiles(xs, n=100)[q - 1] * 1000:.2f}"

    backend = "SQLite (embedded)" if args.sqlite else "PostgreSQL 15 (localhost)"
    print(
        f"\nbackend: {backend}; {n:,} leaves; machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    print("| measure | p50 | p95 |")
    print("|---|---:|---:|")
    print(f"| inclusion proof at size {n:,} (ms) | {ms(inclusion, 50)} | {ms(inclusion, 95)} |")
    print(f"| consistency proof to size {n:,} (ms) | {ms(consistency, 50)} | {ms(consistency, 95)} |")
    print(
        f"\nbuilding the log: {n / build:,.0f} leaves/s; offline inclusion verification: {verify_rate:,.0f} "
        f"proofs/s (one core)"
    )


if __name__ == "__main__":
    main()
