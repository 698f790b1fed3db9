"""Reading the rules as data: the composition root's side of the pure domain core. It reads the rule sets,
their schemas, the holiday data and the catalog's titles from the published schemas (or a deployment's
files) and hands the domain documents; anything missing or invalid stops the service at start, saying what
to fix — never an empty answer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from esledger.core.errors import ConfigurationError
from esledger.core.schemas import SchemaDirectory
from esledger.domain.calendar import Calendar, calendar_from
from esledger.domain.casefile import Policy
from esledger.domain.organisations import Organisations, organisations_from
from esledger.domain.presentation import Titles
from esledger.domain.rules import RuleSet, rulesets_from
from esledger.domain.sanctions import SanctionTable, sanction_table
from esledger.domain.validation import RuleDataError, RuleSchemas
from esledger.ledger.catalog import Catalog
from esledger.settings import Settings

RULES = "rules"


def rule_schemas(schemas: SchemaDirectory) -> RuleSchemas:
    return RuleSchemas.from_documents(
        ruleset=schemas.read_json(f"{RULES}/ruleset.schema.json"),
        holiday_data=schemas.read_json(f"{RULES}/holiday-data.schema.json"),
        units=schemas.read_json("units/units.schema.json"),
    )


def load_rulesets(
    schemas: SchemaDirectory | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[RuleSet, ...]:
    """Every ``rules/ruleset-*.json``, oldest first, with a deployment's local-policy overrides."""
    schemas = schemas or SchemaDirectory.locate()
    try:
        return rulesets_from(_ruleset_documents(schemas), rule_schemas(schemas), overrides)
    except RuleDataError as exc:
        raise ConfigurationError(str(exc)) from exc


def load_sanctions(schemas: SchemaDirectory | None = None) -> SanctionTable:
    """The kinds of sanction each article provides, from the rule sets' ``sanctions`` tables (the ledger
    refuses any other at posting)."""
    schemas = schemas or SchemaDirectory.locate()
    documents = _ruleset_documents(schemas)
    try:
        return sanction_table(documents, rulesets_from(documents, rule_schemas(schemas)))
    except RuleDataError as exc:
        raise ConfigurationError(str(exc)) from exc


def _ruleset_documents(schemas: SchemaDirectory) -> list[tuple[str, Any]]:
    """Every ``rules/ruleset-*.json`` as (name, document); none at all stops the service."""
    names = schemas.names(RULES, "ruleset-*.json")
    if not names:
        raise ConfigurationError(
            f"no rule set (rules/ruleset-*.json) in {schemas.origin}: no deadline and no "
            "finding could be computed; restore the published rule sets or point "
            "ESLEDGER_SCHEMAS_DIR at a folder that has them"
        )
    return [(name, schemas.read_json(name)) for name in names]


def read_data_file(path: Path) -> Any:
    """A deployment's own data file (a holiday year); unreadable or not JSON stops the service."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigurationError(f"{path}: cannot be read ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise ConfigurationError(f"{path}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from e


def load_calendar(holiday_files: Iterable[Path] = (), schemas: SchemaDirectory | None = None) -> Calendar:
    """chinesecalendar extended by a deployment's holiday data files, one year each."""
    schemas = schemas or SchemaDirectory.locate()
    try:
        return calendar_from([(str(p), read_data_file(p)) for p in holiday_files], rule_schemas(schemas))
    except RuleDataError as exc:
        raise ConfigurationError(str(exc)) from exc


def catalog_titles(catalog: Catalog) -> Titles:
    return Titles(acts=catalog.act_titles, kinds=dict(catalog.kind_titles))


def load_policy(settings: Settings, schemas: SchemaDirectory, catalog: Catalog) -> Policy:
    """The deployment's policy: rule sets with overrides, the calendar, thresholds and the catalog's titles."""
    return Policy(
        load_rulesets(schemas, settings.local_policy or None),
        load_calendar(settings.holiday_files, schemas),
        titles=catalog_titles(catalog),
        organisations=load_organisations(schemas),
        yellow_working_days=settings.yellow_working_days,
        violation_notice_days=settings.violation_notice_days,
        referral_days=settings.referral_days,
    )


def load_organisations(schemas: SchemaDirectory | None = None) -> Organisations:
    """The units and their hierarchy (``units/units.json``)."""
    schemas = schemas or SchemaDirectory.locate()
    document = schemas.read_json("units/units.json")
    try:
        return organisations_from(document, rule_schemas(schemas), "units/units.json")
    except RuleDataError as exc:
        raise ConfigurationError(str(exc)) from exc
