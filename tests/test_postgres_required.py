"""PostgreSQL is required: with the server unreachable the test command fails loudly, never skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/test"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"ESLEDGER_TEST_POSTGRES_URL": UNREACHABLE}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_precheck_of_the_test_command_fails_with_what_to_do() -> None:
    result = _run("scripts/require_postgres.py")
    assert result.returncode == 1
    assert "PostgreSQL is required" in result.stderr and "pg_ctlcluster" in result.stderr


def test_postgres_tests_fail_rather_than_skip_when_the_server_is_unreachable() -> None:
    result = _run(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/ledger/test_reads.py", "-k", "one_record_by_version"
    )
    assert result.returncode == 1, result.stdout
    assert "1 passed" in result.stdout and "1 error" in result.stdout and "skipped" not in result.stdout
    assert "PostgreSQL is required and unreachable" in result.stdout
