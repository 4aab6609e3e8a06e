"""A property-based run of the whole admin API against its own OpenAPI schema (schemathesis).

Every operation of /api/openapi.json gets generated requests, authenticated as a real admin, on
the real app served by uvicorn on 127.0.0.1; each answer must not be a 5xx and must match the
schema documented for its status. Examples per operation are bounded so the run stays well
under 90 s per backend. schemathesis is synchronous, so it runs in a worker thread while the
server keeps this test's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.engine import URL

from fake_package_index import fake_package_index
from mcp_clients import serving
from polybox.app import create_app
from polybox.config import load_settings
from polybox.instance import Instance

pytestmark = pytest.mark.anyio
MAX_EXAMPLES = 8
# An endless stream: a synchronous client would wait on it forever (tests/api/test_activity.py
# covers it over real HTTP).
ENDLESS = "/activity/stream"
# Operations that may end the session of the run's own token (or disable its admin) go last, in
# this order; everything after one of them succeeds is then a 401, still checked.
ENDING = ("POST /auth/password", "POST /admins/{admin_id}/disable", "POST /auth/logout")


def _run(api_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Run every operation; how many ran, and one line per failing operation."""
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json").exclude(path=ENDLESS)
    failures, operations = [], []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the schema is invalid: {result.err()}")
        else:
            operations.append(result.ok())
    last = {label: index for index, label in enumerate(ENDING, start=1)}
    operations.sort(key=lambda operation: last.get(operation.label, 0))
    for operation in operations:
        try:
            _checker(operation.as_strategy(), api_url, headers)()
        except (Exception, FailureGroup) as exc:  # every failure is reported, by operation
            failures.append(f"{operation.label}: {exc}")
    return len(operations), failures


def _checker(
    cases: hypothesis.strategies.SearchStrategy[schemathesis.Case[Any]],
    api_url: str,
    headers: dict[str, str],
) -> Callable[[], None]:
    @hypothesis.given(case=cases)
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(
            base_url=api_url,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
            timeout=10,
        )

    return check


@pytest.fixture
async def instance(db_url: URL, tmp_path: Path) -> AsyncIterator[Instance]:
    """An instance on each backend whose package index is the local fake, not pypi.org."""
    async with fake_package_index() as index_url:
        settings = load_settings(
            data_dir=tmp_path / "data",
            database_url=db_url.render_as_string(False),
            pypi_url=index_url,
        )
        async with Instance.running(settings, run_tools=False) as running:
            yield running


async def test_every_operation_answers_without_5xx_and_as_its_schema_says(
    instance: Instance, admin_headers: dict[str, str]
) -> None:
    async with serving(create_app(instance), "127.0.0.1") as mcp_url:
        api_url = mcp_url.removesuffix("/mcp") + "/api"
        ran, failures = await anyio.to_thread.run_sync(_run, api_url, admin_headers)
    assert ran >= 10  # every router's operations were found
    assert not failures, "\n\n".join(failures)
