"""The README says what the tree and the code say: the quickstart's two commands are what CI runs, the
configuration table is the one Settings prints, the layout table matches the tree, and every problem type
is documented."""

from __future__ import annotations

import re
from pathlib import Path

from esledger.settings import settings_table
from esledger.web.problems import PROBLEMS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else None]


def test_the_quickstart_is_two_commands_and_ci_runs_the_second() -> None:
    block = re.search(r"```sh\n(.*?)```", section("Quickstart"), re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make serve", "make check"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^exec make check$", ci, re.M)


def test_the_configuration_table_is_the_one_settings_prints() -> None:
    assert settings_table() in section("Configuration")


def test_the_layout_table_matches_the_tree() -> None:
    layout = section("Layout")
    rows = dict(re.findall(r"^\| `([^`|]+)`[^|]*\| (.*) \|$", layout, re.M))
    for listed in rows:
        assert (ROOT / listed).exists(), f"README lists {listed}, which does not exist"
    services = ROOT / "services"
    for entry in sorted(services.iterdir()):
        if entry.name in ("__init__.py", "__pycache__"):
            continue
        key = f"services/{entry.name}/" if entry.is_dir() else f"services/{entry.name}"
        assert key in rows, f"{key} is missing from the README's layout table"
        if entry.is_dir():
            for module in sorted(entry.glob("*.py")):
                if module.name != "__init__.py":
                    assert f"`{module.name}`" in rows[key], f"{key}{module.name} is not described in the layout"


def test_every_problem_type_is_in_the_errors_table() -> None:
    errors = README[README.index("### Errors") :]
    for problem in PROBLEMS.values():
        assert f"`{problem.slug}`" in errors, f"problem type {problem.slug} is not documented"
