"""The domain core is pure: nothing from the web or storage layers, no file or other I/O (the composition root
reads files and hands documents in), and no clock but `as_of`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import esledger.domain

DOMAIN = Path(esledger.domain.__file__).parent
MODULES = sorted(DOMAIN.glob("*.py"))
FORBIDDEN = {
    "fastapi",
    "starlette",
    "uvicorn",
    "eventsourcing",
    "psycopg",
    "psycopg_pool",
    "sqlite3",
    "httpx",
    "requests",
}
IO = {"os", "pathlib", "importlib", "shutil", "socket"}
"""Imported by Python itself at start, so only a direct import is refused."""
PURE_CORE = {"esledger.core.instants", "esledger.core.pointers", "esledger.core.canonical", "esledger.core.spreadsheet"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_every_domain_module_imports_nothing_from_web_or_storage() -> None:
    assert len(MODULES) > 5
    for path in MODULES:
        for name in imported(path):
            assert name.split(".")[0] not in FORBIDDEN | IO, f"{path.name} imports {name}"
            if name.startswith("esledger."):
                assert name.startswith("esledger.domain") or name in PURE_CORE, f"{path.name} imports {name}"


def test_no_domain_module_opens_a_file() -> None:
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                assert called not in {"open", "read_text", "read_bytes", "write_text", "glob"}, (
                    f"{path.name} does I/O ({called})"
                )


def test_no_domain_module_reads_the_clock() -> None:
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                assert node.attr not in {"now", "today", "utcnow", "time_ns", "monotonic"}, (
                    f"{path.name} reads the clock"
                )


def test_importing_the_domain_loads_no_web_or_storage_module_even_indirectly() -> None:
    modules = ", ".join(f"esledger.domain.{p.stem}" for p in MODULES if p.stem != "__init__")
    probe = f"import sys, {modules}; print(sorted({{m.split('.')[0] for m in sys.modules}}))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=DOMAIN.parents[1], check=True, capture_output=True, text=True
    ).stdout
    assert not FORBIDDEN & set(ast.literal_eval(loaded))
