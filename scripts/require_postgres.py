"""Make sure the PostgreSQL server the tests use answers; start the local cluster if it does not.

Exits 1 with what to do when it stays unreachable: the test suite needs PostgreSQL and never skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

URL = os.environ.get("ESLEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def reachable() -> str | None:
    try:
        psycopg.connect(URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def start_local_cluster() -> bool:
    """Start this machine's cluster when the URL points at it; True when a start was attempted."""
    parts = urlsplit(URL)
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if parts.hostname not in ("127.0.0.1", "localhost") or (parts.port or 5432) != 5432:
        return False
    if not versions or not shutil.which("pg_ctlcluster"):
        return False
    print(f"PostgreSQL not answering at {URL}; starting cluster {versions[-1]}/main", file=sys.stderr)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)
    return True


def main() -> int:
    if (error := reachable()) is None:
        return 0
    if start_local_cluster():
        for _ in range(20):
            if (error := reachable()) is None:
                return 0
            time.sleep(0.5)
    print(
        f"error: PostgreSQL is required by the test suite and is unreachable at {URL}:\n  {error}\n"
        "Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`) or point "
        "ESLEDGER_TEST_POSTGRES_URL at a server where the user may create databases.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
