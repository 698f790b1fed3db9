"""The service against its own OpenAPI document, by schemathesis: generated requests to every operation (a
bounded number each, reproducible), as a principal allowed everything. No answer is a server error, and every
status, content type, header and body the service answers is the one the document states (each 2xx with a
real response schema)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from esledger.web.app import create_app
from tests.helpers import TESTER, TESTER_GRANTS, bearer, examples, key_for

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str]]:
    """The embedded service with the published example scenarios stored, its schema as served (which starts
    the app's lifespan once, for the whole module), and the tester's headers."""
    home: Path = tmp_path_factory.mktemp("conformance")
    settings = Settings(
        database_url=f"sqlite:///{home}/c.sqlite3",
        dev_key_file=home / "k",
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
    )
    system = bootstrap(settings)
    app = create_app(system)
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    key = key_for(system, TESTER, TESTER_GRANTS)
    assert system.ledger is not None
    poster = system.access.scope(system.access.authenticate(f"Bearer {key}", "127.0.0.1"))
    for events in examples().values():
        system.ledger.post(events, poster, batch=True)
    return loaded, bearer(key)


def test_every_answer_is_the_one_the_document_states(served: tuple[Any, dict[str, str]]) -> None:
    """Each operation in turn (schemathesis's pytest plugin does not run under pytest 9: its strategies are
    driven here by Hypothesis directly); every failure is collected, so one run names them all."""
    schema, headers = served
    failures: list[str] = []
    answered: defaultdict[str, set[int]] = defaultdict(set)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30

    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def answers_as_documented(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            answered[case.operation.label].add(response.status_code)

        try:
            answers_as_documented()
        except Exception as failure:  # noqa: BLE001 - each operation's failure is reported, the run goes on
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:2000])
    assert not failures, "\n\n".join(failures)
    # the run reached the operations themselves, signed in, not only their refusals
    assert len(answered) == len(operations)
    succeeded = [label for label, statuses in answered.items() if any(200 <= s < 300 for s in statuses)]
    assert len(succeeded) >= 20, dict(answered)
