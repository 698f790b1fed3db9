"""The published schemas ship inside the package and one setting moves every reader of them; a missing
catalog or rule set stops the service at start with what to do, never an empty answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from esledger.access.principals import Grant, Principal
from esledger.bootstrap import bootstrap
from esledger.cli import app as cli
from esledger.core.errors import ConfigurationError
from esledger.core.schemas import SchemaDirectory
from esledger.settings import Settings
from tests.helpers import SCHEMAS, received


def _settings(tmp_path: Path, schemas_dir: Path | None) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/l.sqlite3", dev_key_file=tmp_path / "k", schemas_dir=schemas_dir
    )


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SCHEMAS, tmp_path / "schemas", ignore=shutil.ignore_patterns("*.py", "__pycache__")))


def test_the_shipped_schemas_are_read_through_the_package() -> None:
    shipped = SchemaDirectory.locate()
    assert "esledger.schemas" in shipped.origin
    assert shipped.read_json("catalog.json")["type_prefix"] == "cn.gov.jingzhou.zfjd."
    assert shipped.names("rules", "ruleset-*.json") == [
        "rules/ruleset-2020-11-17.json",
        "rules/ruleset-2026-02-01.json",
    ]
    assert len(shipped.names("events", "*.schema.json")) >= 34


def test_one_setting_moves_every_reader_together(tmp_path: Path) -> None:
    """The catalog the ledger validates against, the titles views name acts by, and the rules deadlines
    are computed with all come from the folder ESLEDGER_SCHEMAS_DIR names."""
    folder = _copy(tmp_path)
    catalog = orjson.loads((folder / "catalog.json").read_bytes())
    catalog["acts"]["grievance.received"]["title"] = "收到（本地目录）"
    (folder / "catalog.json").write_bytes(orjson.dumps(catalog))
    ruleset = orjson.loads((folder / "rules" / "ruleset-2020-11-17.json").read_bytes())
    [rule] = [r for r in ruleset["rules"] if r["id"] == "art9.disposition"]
    rule["period"] = {"days": 12, "counting": "calendar"}
    (folder / "rules" / "ruleset-2020-11-17.json").write_bytes(orjson.dumps(ruleset))

    system = bootstrap(_settings(tmp_path, folder), follow=False)
    try:
        assert system.catalog.acts["grievance.received"].title == "收到（本地目录）"
        assert system.projections is not None
        policy = system.projections.policy
        assert policy.titles.act("grievance.received") == "收到（本地目录）"
        seed, tiaoli = policy.rulesets
        assert seed.rule("art9.disposition").period.days == 12  # type: ignore[union-attr]
        assert tiaoli.rule("art9.disposition").period.days == 10  # type: ignore[union-attr]  # its own file
        assert system.ledger is not None
        writer = system.access.scope(Principal("key:tester", "tester", (Grant("source", source="*"),)))
        [outcome] = system.ledger.post([received("GR-DIR-1")], writer, batch=False)
        assert outcome.created
    finally:
        system.close()


@pytest.mark.parametrize(
    ("remove", "says"),
    [
        ("catalog.json", "catalog.json is missing"),
        ("rules/ruleset.schema.json", "rules/ruleset.schema.json is missing"),
        ("events/grievance.received.v1.schema.json", "events/grievance.received.v1.schema.json is missing"),
    ],
)
def test_a_missing_file_stops_the_service_at_start_saying_what_to_do(tmp_path: Path, remove: str, says: str) -> None:
    folder = _copy(tmp_path)
    (folder / remove).unlink()
    with pytest.raises(ConfigurationError, match=says) as refused:
        bootstrap(_settings(tmp_path, folder))
    assert "ESLEDGER_SCHEMAS_DIR" in refused.value.detail


def test_a_rule_set_whose_predecessor_is_missing_stops_the_service(tmp_path: Path) -> None:
    """The 2026 set carries the 2020 set's rules forward only for triggers from 2026-02-01: without the 2020 file,
    every earlier trigger would silently lose its deadline."""
    folder = _copy(tmp_path)
    (folder / "rules" / "ruleset-2020-11-17.json").unlink()
    with pytest.raises(ConfigurationError, match="tiaoli-2026-02-01 carries forward the rules of jingzhou-zfjd"):
        bootstrap(_settings(tmp_path, folder))


def test_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is not a folder"):
        bootstrap(_settings(tmp_path, tmp_path / "nowhere"))


def test_serve_refuses_to_start_without_rules_and_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy(tmp_path)
    for ruleset in (folder / "rules").glob("ruleset-*.json"):
        ruleset.unlink()
    monkeypatch.setenv("ESLEDGER_SCHEMAS_DIR", str(folder))
    monkeypatch.setenv("ESLEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/l.sqlite3")
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "no rule set" in result.output and "ESLEDGER_SCHEMAS_DIR" in result.output
