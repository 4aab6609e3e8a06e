"""What forge services return: plain pydantic models, never ORM rows.

Surfaces render these as they are (MCP structured content, REST bodies). Nothing here ever holds
a secret's value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from polybox.store.enums import (
    ExecutionStatus,
    Requester,
    ServerStatus,
    ToolStatus,
    VersionAuthor,
)


class Out(BaseModel):
    """Base of the output models: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- servers, secrets, requests ---------------------------------------------------------------


class ServerOut(Out):
    """A server with its allow-lists and how many tools it has in each approval state."""

    id: int
    name: str
    description: str
    status: ServerStatus
    allowed_hosts: list[str]
    allowed_modules: list[str]
    tool_counts: dict[str, int]  # every ToolStatus value, zero when none
    created_at: datetime
    updated_at: datetime


class SecretOut(Out):
    """A secret's key and whether an admin has set its value; the value never leaves the store."""

    key: str
    description: str
    has_value: bool
    raw: bool = Field(
        description="Handed to approved tool code in clear; otherwise code sees only a stand-in "
        "that the egress broker swaps for the value in requests to the server's allowed hosts"
    )
    updated_at: datetime


RequestKind = Literal["module", "network"]


# A request's status as callers see it: an approved module is `installing` until it imports in
# the sandbox (then `approved`), or `install_failed`.
RequestState = Literal["pending", "installing", "approved", "install_failed", "rejected"]


class RequestOut(Out):
    """A module or network allow-list request and its decision.

    `module` is set for module requests (`server` None asks for every server); `host`/`port` for
    network requests. An approved module request also says which `package` is installed for it,
    its `installed_version`, or the `install_error`.
    """

    kind: RequestKind
    id: int
    server: str | None
    module: str | None = None
    host: str | None = None
    port: int | None = None
    reason: str
    status: RequestState
    requested_by: Requester
    decision_note: str | None
    created_at: datetime
    decided_at: datetime | None
    package: str | None = None
    installed_version: str | None = None
    install_error: str | None = None


class AllowedModulesOut(Out):
    """The import allow-list: global entries, a server's own entries, and their union."""

    server: str | None
    global_modules: list[str]
    server_modules: list[str]
    effective: list[str]


# --- code analysis, tools and versions --------------------------------------------------------


class CodeIssue(Out):
    """One problem in submitted code; `line`/`column` are 1-based, None when not tied to a place."""

    line: int | None
    column: int | None = None
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


class CodeReport(Out):
    """What static analysis found in tool code (the code is never run to find it).

    `errors` make the code unusable (it cannot be saved); disallowed imports and hosts are listed
    (and repeated as `warnings` with their lines) because a draft may use them until the admin
    allows them. `ok` means nothing stands in the way of running it. `output_wrapped` says the
    return type is not an object: its `output_schema` is `{"result": <schema>}` and the runner
    wraps each result the same way, because MCP requires an object output schema.
    """

    ok: bool
    errors: list[CodeIssue]
    warnings: list[CodeIssue]
    description: str | None  # first line of main's docstring
    input_schema: dict[str, Any] | None
    output_schema: dict[str, Any] | None
    output_wrapped: bool
    annotations: dict[str, Any]  # MCP tool annotations declared in TOOL_ANNOTATIONS
    imports: list[str]
    disallowed_imports: list[str]
    hosts: list[str]
    disallowed_hosts: list[str]


class ToolOut(Out):
    """A tool as listed: approval state, schemas, which version is edited and which one runs.

    `code` (the current version's) and `analysis` (of that code under the server's current
    allow-lists) are filled by get_tool and by the calls that save code, not by lists.
    `approved_version` is set exactly when `status` is approved.
    """

    id: int
    server: str
    name: str
    public_name: str  # `<server>__<tool>`, the MCP name once callable
    description: str
    status: ToolStatus
    enabled: bool
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    annotations: dict[str, Any]
    current_version: int | None
    approved_version: int | None
    review_note: str | None
    created_at: datetime
    updated_at: datetime
    code: str | None = None
    analysis: CodeReport | None = None


class ToolVersionOut(Out):
    """One saved version of a tool's code (without the code, for lists)."""

    number: int
    author: VersionAuthor
    code_sha256: str
    description: str
    created_at: datetime
    is_current: bool
    is_approved: bool


class ToolVersionDetailOut(ToolVersionOut):
    """One version with its code, schemas and a unified diff from it to the current code."""

    code: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    diff_against_current: str  # empty when this is the current version's code


class ToolDiffOut(Out):
    """A unified diff between two versions of a tool's code."""

    server: str
    tool: str
    from_version: int
    to_version: int
    diff: str  # empty when both versions have the same code


class ToolReviewOut(Out):
    """A tool waiting for review, with what changed since it was last approved.

    `base_version` is the version an admin approved last (None when never approved: the diff
    then adds the whole code); `diff` goes from it to the current code.
    """

    tool: ToolOut
    base_version: int | None
    diff: str


class ToolStatusOut(Out):
    """Where a tool stands and, when clients cannot call it, every reason why."""

    server: str
    tool: str
    public_name: str
    status: ToolStatus
    enabled: bool
    server_status: ServerStatus
    current_version: int | None
    approved_version: int | None
    review_note: str | None
    callable: bool
    blockers: list[str]
    disallowed_imports: list[str]
    disallowed_hosts: list[str]


# --- tool calls, test runs and execution logs -------------------------------------------------


class CallOutcome(Out):
    """A forged tool call as MCP returns it.

    `structured` is the result as an object (non-object results, and results of tools whose
    output schema wraps them, are `{"result": value}`); `text` is that object as JSON. On
    failure `ok` is false, `structured` None and `error` (= `text`) a short message such as
    "ValueError: bad city (line 4)". The call's execution log is written shortly after, off
    the call's path.
    """

    ok: bool
    structured: dict[str, Any] | None
    text: str
    error: str | None
    duration_ms: float


class ErrorDetail(Out):
    """Why a test run failed: exception type, message, line in the tool's code, its traceback."""

    type: str
    message: str
    line: int | None
    traceback: str


class TestCodeResult(Out):
    """A `polybox_test_code` run: what `main` returned (as returned), its output and time."""

    __test__ = False  # a result model, not a pytest test class

    ok: bool
    result: Any
    stdout: str
    duration_ms: float
    error: ErrorDetail | None


class ExecutionLogOut(Out):
    """One logged call; arguments, result and stdout are capped (a cut one says so)."""

    id: int
    server: str
    tool: str
    status: ExecutionStatus
    arguments: dict[str, Any]
    result: Any
    stdout: str
    error: dict[str, Any] | None
    duration_ms: float
    client_id: str | None
    created_at: datetime
