"""The event catalog, loaded from ``schemas/``: the published contract is the one the service enforces."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

DEFAULT_SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
ENVELOPE_ID = "urn:zfjd:schema:envelope:1"


@dataclass(frozen=True)
class Act:
    """One kind of supervisory act (an event type), e.g. ``grievance.received``."""

    name: str
    type: str
    title: str
    articles: tuple[str, ...]
    case_kinds: frozenset[str]
    opens: str | None
    current_version: int
    schema_ids: dict[int, str]

    @property
    def current_schema_id(self) -> str:
        return self.schema_ids[self.current_version]


@dataclass(frozen=True)
class Catalog:
    directory: Path
    type_prefix: str
    acts: dict[str, Act]
    registry: Registry

    @classmethod
    def load(cls, directory: Path = DEFAULT_SCHEMAS_DIR) -> Catalog:
        raw = json.loads((directory / "catalog.json").read_text("utf-8"))
        resources: list[tuple[str, Resource[Any]]] = []
        for path in sorted(directory.glob("*.schema.json")) + sorted((directory / "events").glob("*.schema.json")):
            schema = json.loads(path.read_text("utf-8"))
            if "$id" in schema:
                resources.append((schema["$id"], Resource.from_contents(schema)))
        registry: Registry = Registry().with_resources(resources)
        opening = {spec["opening_act"]: kind for kind, spec in raw["case_kinds"].items()}
        acts: dict[str, Act] = {}
        for name, spec in raw["acts"].items():
            ids = {}
            for version, rel in spec["versions"].items():
                ids[int(version)] = json.loads((directory / rel).read_text("utf-8"))["$id"]
            acts[name] = Act(name=name, type=raw["type_prefix"] + name, title=spec["title"],
                             articles=tuple(spec.get("articles", ())), case_kinds=frozenset(spec["case_kinds"]),
                             opens=opening.get(name), current_version=int(spec["current_version"]),
                             schema_ids=ids)
        return cls(directory=directory, type_prefix=raw["type_prefix"], acts=acts, registry=registry)

    @cached_property
    def by_type(self) -> dict[str, Act]:
        return {a.type: a for a in self.acts.values()}

    def validator(self, schema_id: str) -> Draft202012Validator:
        return self._validators[schema_id]

    @cached_property
    def _validators(self) -> dict[str, Draft202012Validator]:
        checker = FormatChecker()
        ids = [ENVELOPE_ID] + [i for a in self.acts.values() for i in a.schema_ids.values()]
        return {
            i: Draft202012Validator(self.registry.contents(i), registry=self.registry, format_checker=checker)
            for i in ids
        }
