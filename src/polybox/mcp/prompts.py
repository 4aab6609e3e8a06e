"""MCP prompts: the forge workflow, turning a snippet into a tool, reviewing a failing tool.

A prompt is a table row (name, description, arguments, how its messages are made), like the
management tools. Only `review_tool_failures` reads the store: one `forge.briefs.tool_brief`
call, whose code and latest calls are embedded as the resources they also are
(`resources.py`), so a client shows them as attachments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import mcp_types as types
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS

from polybox.forge.briefs import tool_brief
from polybox.forge.errors import ForgeError
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.mcp.resources import log_contents, source_contents

REVIEW_CALLS = 10  # latest calls embedded by review_tool_failures

WORKFLOW = """\
Build an MCP tool with polybox. Steps:
1. polybox_list_servers; pick a server for the tool or make one with polybox_create_server.
2. If the tool needs an API key: polybox_create_server_secret names it (the admin fills in the
   value; you never see it). In code read it as secrets["KEY"].
3. Write `async def main(...)` with typed parameters (they become the input schema), a return
   annotation (the output schema) and a docstring (the description). Use `await http.get(...)`
   for HTTP; each host must be allowed (polybox_request_network_access), each import too
   (polybox_get_allowed_modules, polybox_request_module).
4. polybox_validate_code until it reports no errors, then polybox_create_tool.
5. polybox_test_code with sample arguments, if the admin allows tests before approval; fix and
   polybox_update_tool until it returns what you expect.
6. polybox_request_publish. Once the admin approves and the server runs, the tool is listed as
   `<server>__<tool>`. Any later change to its code needs approval again.
When a call fails, read its logs (polybox_get_tool_logs, or the resource
polybox://tools/<server>/<tool>/logs) before changing the code."""

SNIPPET = """\
Turn this snippet into a polybox tool.

```
{snippet}
```

Rewrite it as `async def main(...)`: every input a typed parameter (use Literal for choices,
defaults for optional ones), a return annotation, a one-line docstring saying what it does.
No input(), no files, no global state; HTTP through `await http.get/post(...)` on allowed hosts,
API keys as secrets["KEY"]. Then check it with polybox_validate_code, save it with
polybox_create_tool on {server}, test it with polybox_test_code and ask for review with
polybox_request_publish."""

REVIEW = """\
polybox tool `{tool}` ({status}) fails. Attached: its current code (version {version}) and its
{count} latest calls, newest first, with their arguments, errors and printed output.
Find the cause, say it in one sentence, then fix the code with polybox_update_tool, check the
fix with polybox_test_code on the failing arguments, and ask for review again with
polybox_request_publish."""

Render = Callable[[Instance, Mapping[str, str]], Awaitable[list[types.PromptMessage]]]


@dataclass(frozen=True)
class PolyboxPrompt:
    name: str
    title: str
    description: str
    arguments: tuple[types.PromptArgument, ...]
    render: Render

    def listing(self) -> types.Prompt:
        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=list(self.arguments) or None,
        )


def _user(*contents: types.TextContent | types.EmbeddedResource) -> list[types.PromptMessage]:
    return [types.PromptMessage(role="user", content=content) for content in contents]


def _text(text: str) -> types.TextContent:
    return types.TextContent(type="text", text=text)


async def _workflow(instance: Instance, arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    goal = arguments.get("goal")
    return _user(_text(WORKFLOW if not goal else f"{WORKFLOW}\n\nThe tool to build: {goal}"))


async def _snippet(instance: Instance, arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    server = arguments.get("server")
    where = f"server {server!r}" if server else "a server of your choice"
    return _user(_text(SNIPPET.format(snippet=arguments["snippet"].strip(), server=where)))


async def _review(instance: Instance, arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    async with transaction(instance.sessions, None) as session:
        brief = await tool_brief(session, arguments["tool"], calls=REVIEW_CALLS)
    tool = brief.tool
    intro = REVIEW.format(
        tool=tool.public_name,
        status=tool.status.value,
        version=tool.current_version,
        count=len(brief.calls),
    )
    if not brief.calls:
        intro += "\nIt has no logged calls yet: run it with polybox_test_code to see it fail."
    return _user(
        _text(intro),
        types.EmbeddedResource(type="resource", resource=source_contents(tool)),
        types.EmbeddedResource(
            type="resource", resource=log_contents(brief.calls, server=tool.server, tool=tool.name)
        ),
    )


PROMPTS: list[PolyboxPrompt] = [
    PolyboxPrompt(
        "forge_workflow",
        "Build a tool with polybox",
        "The steps from an idea to an approved MCP tool: server, secrets, code, validate, "
        "create, test, publish.",
        (
            types.PromptArgument(
                name="goal", description="What the tool should do (optional).", required=False
            ),
        ),
        _workflow,
    ),
    PolyboxPrompt(
        "snippet_to_tool",
        "Turn a snippet into a tool",
        "Rewrite a piece of Python (or a description of one) as a polybox tool and publish it.",
        (
            types.PromptArgument(
                name="snippet", description="The code to turn into a tool.", required=True
            ),
            types.PromptArgument(
                name="server", description="Server to put the tool on (optional).", required=False
            ),
        ),
        _snippet,
    ),
    PolyboxPrompt(
        "review_tool_failures",
        "Review why a tool fails",
        "A tool's current code and its latest calls (errors, arguments, output), with the "
        "request to find the cause and fix it.",
        (
            types.PromptArgument(
                name="tool", description="The tool, as `<server>__<tool>`.", required=True
            ),
        ),
        _review,
    ),
]
_BY_NAME = {prompt.name: prompt for prompt in PROMPTS}
# The arguments that name a forged tool (`<server>__<tool>`), for completion.
TOOL_ARGUMENTS = {("review_tool_failures", "tool")}


async def get_prompt(
    instance: Instance, name: str, arguments: Mapping[str, str] | None
) -> types.GetPromptResult:
    """Render prompt `name`; an unknown name or a missing argument is an INVALID_PARAMS error."""
    prompt = _BY_NAME.get(name)
    if prompt is None:
        raise MCPError(
            INVALID_PARAMS, f"unknown prompt {name!r}; prompts/list shows: {', '.join(_BY_NAME)}"
        )
    given = dict(arguments or {})
    missing = [a.name for a in prompt.arguments if a.required and not given.get(a.name)]
    if missing:
        raise MCPError(INVALID_PARAMS, f"prompt {name} needs argument(s): {', '.join(missing)}")
    try:
        messages = await prompt.render(instance, given)
    except ForgeError as exc:
        raise MCPError(INVALID_PARAMS, exc.message) from None
    return types.GetPromptResult(description=prompt.description, messages=messages)
