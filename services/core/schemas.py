"""The published contract's files (catalog, event schemas, rule sets, holiday data, examples), read from the
copy shipped inside the package (``esledger.schemas``, through ``importlib.resources``) or from a folder a
deployment names (``ESLEDGER_SCHEMAS_DIR``). Every reader of these files goes through one
``SchemaDirectory``, so the override moves them all together.

A file that is missing or is not JSON stops the service at start with what to do, never an empty answer.
"""

from __future__ import annotations

import fnmatch
import json
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from esledger.core.errors import ConfigurationError

PACKAGE = "esledger.schemas"


class SchemaDirectory:
    def __init__(self, root: Traversable, origin: str) -> None:
        self.root = root
        self.origin = origin

    @classmethod
    def locate(cls, override: Path | None = None) -> SchemaDirectory:
        """The folder a deployment names, else the schemas shipped with the package."""
        if override is not None:
            if not override.is_dir():
                raise ConfigurationError(
                    f"ESLEDGER_SCHEMAS_DIR={override} is not a folder: point it at a copy of the published "
                    "schemas (catalog.json, events/, rules/), or unset it to use the ones shipped with esledger"
                )
            return cls(override, str(override))
        return cls(resources.files(PACKAGE), f"the schemas shipped with esledger ({PACKAGE})")

    def file(self, relative: str) -> Traversable:
        node = self.root
        for part in relative.split("/"):
            node = node.joinpath(part)
        return node

    def read_json(self, relative: str) -> Any:
        """A JSON file of the contract; missing or malformed stops the service with what to do."""
        node = self.file(relative)
        if not node.is_file():
            raise ConfigurationError(
                f"{relative} is missing from {self.origin}: restore it, or set ESLEDGER_SCHEMAS_DIR to a "
                "complete copy of the published schemas"
            )
        try:
            return json.loads(node.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ConfigurationError(
                f"{relative} in {self.origin} is not JSON: {e.msg} at line {e.lineno} column {e.colno}"
            ) from e

    def names(self, folder: str, pattern: str) -> list[str]:
        """Relative paths of the files in ``folder`` whose names match ``pattern``, sorted."""
        node = self.file(folder) if folder else self.root
        if not node.is_dir():
            return []
        found = sorted(c.name for c in node.iterdir() if c.is_file() and fnmatch.fnmatch(c.name, pattern))
        return [f"{folder}/{name}" if folder else name for name in found]

    def read_bytes(self, relative: str) -> bytes:
        return self.file(relative).read_bytes()

    def __repr__(self) -> str:
        return f"SchemaDirectory({self.origin})"
