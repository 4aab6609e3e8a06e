"""The official MCP conformance suite's server scenarios against a real polybox on loopback.

polybox serves over uvicorn on 127.0.0.1 (sessions on, as the SSE scenarios need). The suite's
fixture tools are forged through polybox itself, as an LLM and the admin would: the official
MCP client creates them with the management tools, the approvals service approves them, the
client starts their server. The suite (npm `@modelcontextprotocol/conformance`, on the Node 22
from npm `node@22`, both pinned in this folder's package-lock.json; `make conformance` runs
`npm ci`) then runs every server scenario once. docs/CONFORMANCE.md is written from its
results, with the reason for each scenario that does not pass, and the scenarios polybox
claims must pass.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_clients import client_for, serving
from polybox.app import create_app
from polybox.config import load_settings
from polybox.forge import approvals
from polybox.forge.actors import admin
from polybox.forge.unit import transaction
from polybox.instance import Instance

pytestmark = pytest.mark.anyio

HERE = Path(__file__).resolve().parent
BIN = HERE / "node_modules" / ".bin"
SUITE = HERE / "node_modules" / "@modelcontextprotocol" / "conformance" / "package.json"
REPORT = HERE.parents[1] / "docs" / "CONFORMANCE.md"
SUITE_SECONDS = 90
FOLDER = re.compile(r"server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z")  # where the suite puts results

# What polybox claims: every check of these scenarios passes, for the reason the suite means.
CLAIMED = {
    "server-initialize",
    "ping",
    "logging-set-level",
    "completion-complete",
    "tools-list",
    "server-sse-multiple-streams",
    "resources-list",
    "resources-subscribe",
    "resources-unsubscribe",
    "prompts-list",
    "dns-rebinding-protection",
}

# The suite's fixtures have fixed names (`test_simple_text`, `test://static-text`, ...).
# A forged tool is always named `<server>__<tool>`, and polybox's prompts and resources are its
# own, so a scenario that calls a fixture by name cannot find it.
_NO_FIXTURE = (
    "the suite calls its fixture {what} by name; forged tools are named `<server>__<tool>`, "
    "so no polybox tool can have that name"
)
_NO_PROMPT = (
    "the suite gets its fixture prompt `{name}`; polybox's prompts are its own "
    "(forge_workflow, snippet_to_tool, review_tool_failures), not user-defined"
)
_NO_RESOURCE = (
    "the suite reads its fixture resource `{uri}`; polybox's resources are its tools' "
    "sources, schemas and logs (`polybox://...`), not user-defined"
)
_BACK_CHANNEL = (
    "needs a tool that asks the client for {what}; forged tools run in the sandbox with no "
    "channel back to the MCP client"
)
WHY = {
    "tools-call-simple-text": "hollow pass: "
    + _NO_FIXTURE.format(what="tool `test_simple_text`")
    + " (it is forged as `test__simple_text`); the suite accepts the not-found error as text",
    "tools-call-error": "hollow pass: "
    + _NO_FIXTURE.format(what="tool `test_error_handling`")
    + " (it is forged as `test__error_handling`); the not-found error is the `isError` result "
    "the suite looks for",
    "tools-call-image": _NO_FIXTURE.format(what="tool `test_image_content`")
    + "; forged tools return JSON (structured content), not images",
    "tools-call-audio": _NO_FIXTURE.format(what="tool `test_audio_content`")
    + "; forged tools return JSON (structured content), not audio",
    "tools-call-embedded-resource": _NO_FIXTURE.format(what="tool `test_embedded_resource`")
    + "; forged tools return JSON, not embedded resources",
    "tools-call-mixed-content": _NO_FIXTURE.format(what="tool `test_multiple_content_types`")
    + "; forged tools return JSON, not mixed content",
    "tools-call-with-logging": _NO_FIXTURE.format(what="tool `test_tool_with_logging`")
    + "; forged tool calls do send log messages (tests/mcp/test_mcp_logging_progress.py)",
    "tools-call-with-progress": _NO_FIXTURE.format(what="tool `test_tool_with_progress`")
    + "; polybox_test_code reports progress (tests/mcp/test_mcp_logging_progress.py)",
    "tools-call-sampling": _BACK_CHANNEL.format(what="a sampling (LLM) completion"),
    "tools-call-elicitation": _BACK_CHANNEL.format(what="input (elicitation)"),
    "elicitation-sep1034-defaults": _BACK_CHANNEL.format(what="input (elicitation)"),
    "elicitation-sep1330-enums": _BACK_CHANNEL.format(what="input (elicitation)"),
    "json-schema-2020-12": _NO_FIXTURE.format(what="tool `json_schema_2020_12_tool`")
    + "; input schemas come from `main`'s signature (pydantic), which declares no `$schema`",
    "server-sse-polling": _NO_FIXTURE.format(what="tool `test_reconnection`")
    + "; the SDK's POST streams send no priming event or `retry` field (warnings)",
    "resources-read-text": _NO_RESOURCE.format(uri="test://static-text"),
    "resources-read-binary": _NO_RESOURCE.format(uri="test://static-binary"),
    "resources-templates-read": _NO_RESOURCE.format(uri="test://template/123/data"),
    "prompts-get-simple": _NO_PROMPT.format(name="test_simple_prompt"),
    "prompts-get-with-args": _NO_PROMPT.format(name="test_prompt_with_arguments"),
    "prompts-get-embedded-resource": _NO_PROMPT.format(name="test_prompt_with_embedded_resource")
    + " (review_tool_failures embeds resources: tests/mcp/test_mcp_prompts_resources.py)",
    "prompts-get-with-image": _NO_PROMPT.format(name="test_prompt_with_image"),
}

# Forged as the suite's fixtures would be, under server `test` (their MCP names: `test__<name>`).
FIXTURES = {
    "simple_text": 'async def main() -> str:\n    """A simple text response."""\n'
    '    return "This is a simple text response for testing."\n',
    "error_handling": 'async def main() -> str:\n    """Always fails."""\n'
    '    raise RuntimeError("This tool intentionally returns an error for testing")\n',
}


@dataclass(frozen=True)
class Outcome:
    scenario: str
    checks: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c["status"] in ("SUCCESS", "INFO") for c in self.checks)

    @property
    def hollow(self) -> bool:
        """Passed only because a missing tool's error counts as the content the suite wants."""
        results = [(c.get("details") or {}).get("result") or {} for c in self.checks]
        return self.passed and any(
            r.get("isError") and "no tool 'test_" in json.dumps(r.get("content")) for r in results
        )

    @property
    def result(self) -> str:
        return "pass (hollow)" if self.hollow else "pass" if self.passed else "fail"

    def suite_says(self) -> str:
        return "; ".join(
            c.get("errorMessage") or c["id"] for c in self.checks if c["status"] == "FAILURE"
        )


async def forge_fixtures(client: Client, instance: Instance) -> None:
    async def ok(name: str, arguments: dict[str, Any]) -> None:
        result = await client.call_tool(name, arguments)
        assert not result.is_error, result.content

    await ok("polybox_create_server", {"name": "test", "description": "conformance fixtures"})
    for name, code in FIXTURES.items():
        await ok("polybox_create_tool", {"server": "test", "name": name, "code": code})
        await ok("polybox_request_publish", {"server": "test", "tool": name})
        async with transaction(instance.sessions, instance.events) as session:
            await approvals.approve_tool(session, admin("root"), "test", name)
    await ok("polybox_start_server", {"server": "test"})


@pytest.fixture
async def polybox_url(tmp_path: Path) -> AsyncIterator[str]:
    settings = load_settings(data_dir=tmp_path / "data", mcp_stateless=False)
    async with (
        Instance.running(settings) as instance,
        serving(create_app(instance), "127.0.0.1") as url,
    ):
        client, _ = client_for(url, name="conformance-setup")
        async with client:
            await forge_fixtures(client, instance)
        yield url


async def run_suite(url: str, out: Path) -> list[Outcome]:
    if not (BIN / "conformance").exists():
        pytest.fail("the conformance suite is not installed: run `make conformance`")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    with anyio.fail_after(SUITE_SECONDS):
        done = await anyio.run_process(
            ["conformance", "server", "--url", url, "--suite", "all", "-o", str(out)],
            env=env,
            check=False,
        )
    outcomes = read_results(out)
    assert outcomes, done.stderr.decode(errors="replace")[-2000:]
    return outcomes


def read_results(out: Path) -> list[Outcome]:
    """One outcome per `server-<scenario>-<timestamp>/checks.json` the suite wrote."""
    outcomes = []
    for checks in sorted(out.glob("*/checks.json")):
        scenario = FOLDER.fullmatch(checks.parent.name)
        assert scenario is not None, checks.parent.name
        outcomes.append(Outcome(scenario[1], json.loads(checks.read_text(encoding="utf-8"))))
    return outcomes


def write_report(outcomes: list[Outcome]) -> None:
    suite = json.loads(SUITE.read_text(encoding="utf-8"))["version"]
    lines = [
        "# MCP conformance",
        "",
        f"The official MCP conformance suite (`@modelcontextprotocol/conformance` {suite}, all "
        "server scenarios) against polybox on loopback. The suite's simple-text and error "
        "fixture tools are forged through polybox (management tools, then the admin's "
        "approval) as `test__simple_text` and `test__error_handling`; the suite's tools-list "
        "check covers them, but it calls its fixtures by their own names. Written by "
        "`tests/conformance/test_conformance.py`, which also asserts that the claimed scenarios "
        "pass; do not edit by hand.",
        "",
        "| scenario | result | claimed | why it does not pass |",
        "|---|---|---|---|",
    ]
    for outcome in sorted(outcomes, key=lambda o: o.scenario):
        why = "" if outcome.result == "pass" else WHY.get(outcome.scenario, outcome.suite_says())
        claimed = "yes" if outcome.scenario in CLAIMED else ""
        lines.append(f"| `{outcome.scenario}` | {outcome.result} | {claimed} | {why} |")
    passed = sum(o.result == "pass" for o in outcomes)
    lines += ["", f"{passed} of {len(outcomes)} scenarios pass.", ""]
    REPORT.write_text("\n".join(lines), encoding="utf-8")


async def test_the_conformance_suite_passes_the_claimed_server_scenarios(
    polybox_url: str, tmp_path: Path
) -> None:
    outcomes = await run_suite(polybox_url, tmp_path / "results")
    write_report(outcomes)
    by_name = {outcome.scenario: outcome for outcome in outcomes}
    failing = {
        name: by_name[name].suite_says() if name in by_name else "did not run"
        for name in CLAIMED
        if name not in by_name or by_name[name].result != "pass"
    }
    assert not failing, failing
    unexplained = [o.scenario for o in outcomes if o.result != "pass" and o.scenario not in WHY]
    assert not unexplained, f"explain these in WHY (or fix them): {unexplained}"
    forged = by_name["tools-list"].checks[0]["details"]["tools"]
    assert {"test__simple_text", "test__error_handling"} <= set(forged)
