"""The event catalog, read from the published schemas: the contract the service enforces is the one it
publishes. ``catalog.json`` lists the case kinds and the acts (their titles, articles, admitting kinds and
schema versions); every ``*.schema.json`` is registered by its ``$id``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from esledger.core.errors import ConfigurationError
from esledger.core.patterns import EcmaValidator
from esledger.core.schemas import SchemaDirectory
from esledger.domain.acts import AMENDED
from esledger.ledger.confidential import amended_paths, confidential_paths

ENVELOPE_ID = "urn:zfjd:schema:envelope:2"


ACCESS_LOG_PREFIX = "ACCESS-"
"""Case ids of the access log's days (``ACCESS-YYYY-MM-DD``), recorded by the ledger itself."""
PRINCIPAL_PREFIX = "PRINCIPAL-"
"""Case ids of the principals (``PRINCIPAL-<name>``), recorded by the ledger itself."""
RESERVED_PREFIXES = (ACCESS_LOG_PREFIX, PRINCIPAL_PREFIX)
"""No client's act may name a case id beginning so: claiming one ahead of the ledger would block its own
record (a day's access log, a principal's registration), and the case would pose as a supervision case."""


@dataclass(frozen=True)
class ActType:
    """One kind of supervisory act (an event type), e.g. ``grievance.received``."""

    name: str
    type: str
    title: str
    articles: tuple[str, ...]
    """Articles of the seed, 《行政执法监督制度》, the act serves."""
    case_kinds: frozenset[str]
    opens: str | None
    current_version: int
    schema_ids: dict[int, str]
    internal: bool = False
    """Recorded by the ledger itself (principals, the access log); never accepted from clients."""
    confidential: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """Per schema version, the pointers of the values marked ``x-confidential``."""
    tiaoli_articles: tuple[str, ...] = ()
    """Articles of 《行政执法监督条例》 (in force 2026-02-01) the act serves."""

    @property
    def current_schema_id(self) -> str:
        return self.schema_ids[self.current_version]


@dataclass(frozen=True)
class Catalog:
    type_prefix: str
    kind_titles: Mapping[str, str]
    acts: dict[str, ActType]
    registry: Registry

    @classmethod
    def load(cls, schemas: SchemaDirectory) -> Catalog:
        raw = schemas.read_json("catalog.json")
        resources: list[tuple[str, Resource[Any]]] = []
        for name in schemas.names("", "*.schema.json") + schemas.names("events", "*.schema.json"):
            schema = schemas.read_json(name)
            if "$id" in schema:
                resources.append((schema["$id"], Resource.from_contents(schema)))
        registry: Registry = Registry().with_resources(resources)
        opening = {spec["opening_act"]: kind for kind, spec in raw["case_kinds"].items()}
        acts: dict[str, ActType] = {}
        for name, spec in raw["acts"].items():
            ids = {int(version): schemas.read_json(rel)["$id"] for version, rel in spec["versions"].items()}
            secret = {v: confidential_paths(i, registry) for v, i in ids.items()}
            acts[name] = ActType(
                name=name,
                type=raw["type_prefix"] + name,
                title=spec["title"],
                articles=tuple(spec.get("articles", ())),
                case_kinds=frozenset(spec["case_kinds"]),
                opens=opening.get(name),
                current_version=int(spec["current_version"]),
                schema_ids=ids,
                internal=bool(spec.get("internal", False)),
                confidential=secret,
                tiaoli_articles=tuple(spec.get("tiaoli_articles", ())),
            )
        if not acts:
            raise ConfigurationError(
                f"catalog.json in {schemas.origin} lists no acts: the service would accept "
                "nothing; restore the published catalog"
            )
        kinds = {kind: spec["title"] for kind, spec in raw["case_kinds"].items()}
        return cls(type_prefix=raw["type_prefix"], kind_titles=kinds, acts=acts, registry=registry)

    @cached_property
    def by_type(self) -> dict[str, ActType]:
        return {a.type: a for a in self.acts.values()}

    @property
    def act_titles(self) -> dict[str, str]:
        return {name: a.title for name, a in self.acts.items()}

    def confidential_paths(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        """Where this event holds confidential values: by its type and the schema version it names, and for
        an amendment, the values it writes into confidential places."""
        act = self.by_type.get(str(event.get("type")))
        if act is None:
            return ()
        schema_id = event.get("dataschema", act.current_schema_id)
        version = next((v for v, i in act.schema_ids.items() if i == schema_id), act.current_version)
        paths = act.confidential.get(version, ())
        if act.name == AMENDED:
            paths += tuple(dict.fromkeys(amended_paths(event, self._every_confidential_path)))
        return paths

    @cached_property
    def _every_confidential_path(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for a in self.acts.values() for ps in a.confidential.values() for p in ps))

    def event(self, act: str, *, source: str, subject: str, data: dict[str, Any], time: datetime) -> dict[str, Any]:
        """A CloudEvent of an act the ledger records itself (an erasure, the access log), with a fresh id."""
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
            "type": self.type_prefix + act,
            "subject": subject,
            "time": time.isoformat(),
            "datacontenttype": "application/json",
            "data": data,
        }

    def validator(self, schema_id: str) -> Draft202012Validator:
        return self._validators[schema_id]

    @cached_property
    def _validators(self) -> dict[str, Draft202012Validator]:
        checker = FormatChecker()
        ids = [ENVELOPE_ID] + [i for a in self.acts.values() for i in a.schema_ids.values()]
        return {
            i: EcmaValidator(self.registry.contents(i), registry=self.registry, format_checker=checker) for i in ids
        }
