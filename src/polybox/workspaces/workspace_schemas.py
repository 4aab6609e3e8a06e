"""What the project workspace tools take and give: validated inputs, and the data of answers.

A workspace is one .NET project in a long-lived Box; every tool but create, list and cleanup
names it by `workspace_id`. As for snippets (`schemas`), inputs are validated with the server's
settings as context (the longest command timeout is a setting) and every bad field is named at
once, its description being the valid form. Paths are relative to the project root
`/workspace` (a leading `/workspace/` is accepted); the Box checks them again against symlinks.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    RootModel,
    StringConstraints,
    field_validator,
)

from polybox.sandbox.dotnet import Template
from polybox.workspaces.answers import ANSWER, ANSWER_CONFIG, Failure, Success
from polybox.workspaces.schemas import (
    DEFAULT_VERSION,
    DiagnosticOut,
    DotnetVersion,
    Package,
    TimedInput,
)

MAX_FILE_CHARS = 1_000_000
MAX_PATH_CHARS = 260
MAX_ARGS = 64
MAX_ARG_CHARS = 4_096
MAX_HEADERS = 32
MAX_BODY_CHARS = 1_000_000
MAX_LOG_LINES = 2_000


def _workspace_path(value: str) -> str:
    """`value` as a clean path relative to /workspace, or a refusal saying the rule."""
    path = value.strip()
    if path in {"/workspace", "/workspace/"}:
        return "."
    path = path.removeprefix("/workspace/")
    if "\x00" in path or "\\" in path:
        raise ValueError("use forward slashes and no NUL characters, e.g. Models/Todo.cs")
    if path.startswith("/"):
        raise ValueError(
            'paths are relative to the project root /workspace, e.g. "Program.cs" or '
            '"Models/Todo.cs"; nothing outside it can be reached'
        )
    parts = [part for part in path.split("/") if part not in {"", "."}]
    if ".." in parts:
        raise ValueError('".." is not allowed: paths stay inside the project root /workspace')
    return "/".join(parts) or "."


WorkspacePath = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_PATH_CHARS), AfterValidator(_workspace_path)
]
WorkspaceId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^dotnet(8|9|10)-[a-z]+-[0-9a-f]{6}$"),
]
ProcessName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
]
Argument = Annotated[str, StringConstraints(max_length=MAX_ARG_CHARS, pattern=r"^[^\x00]*$")]

_WORKSPACE_ID = (
    "The workspace, as dotnet_create_project answered it (data.workspace.workspace_id), e.g. "
    '"dotnet8-webapi-3fa2c1"; dotnet_list_containers lists yours.'
)
_DETAIL = (
    '"concise": the first 50 lines of each output stream, with a note of what was cut; "full": '
    "all of it (each text field at most 25,000 characters)."
)
_TIMEOUT = (
    "Seconds the command may take before its whole process tree is killed. Default: the "
    "server's dotnet_command_timeout_seconds (120 unless changed); at most its "
    "dotnet_command_max_timeout_seconds (600 unless changed)."
)
_PROCESS = (
    "Name of a background process of the workspace: 1-40 letters, digits, '_', '.' or '-', "
    'e.g. "worker"; dotnet_host_api names its APIs "api-<port>", e.g. "api-5000".'
)


class WorkspaceInput(BaseModel):
    """The parameters every tool acting on one workspace takes."""

    model_config = ConfigDict(extra="forbid")

    workspace_id: WorkspaceId = Field(description=_WORKSPACE_ID)


class CommandInput(WorkspaceInput, TimedInput):
    """A workspace call that runs a command: its output detail and its timeout."""

    timeout_kind: ClassVar[Literal["snippet", "command"]] = "command"
    detail_level: Literal["concise", "full"] = Field("concise", description=_DETAIL)
    timeout_s: float | None = Field(None, gt=0, description=_TIMEOUT)


class CreateProjectInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: Template = Field(
        description=(
            '"console" (a program), "webapi" (a minimal API with a GET and a POST endpoint), '
            '"classlib" (a library), "worker" (a background service) or "xunit" (a test project).'
        )
    )
    dotnet_version: DotnetVersion = Field(
        DEFAULT_VERSION, description='.NET version of the project: "8", "9" or "10" (default).'
    )
    name: str = Field(
        "App",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
        max_length=64,
        description=(
            "Project name (the .csproj and root namespace), a C# identifier with optional dots, "
            'at most 64 characters, e.g. "TodoApi". Default: "App".'
        ),
    )


class AddFileInput(WorkspaceInput):
    path: WorkspacePath = Field(
        description=(
            "File to create or overwrite, relative to the project root /workspace, e.g. "
            '"Program.cs" or "Models/Todo.cs" (folders are created); no "..", nothing outside.'
        )
    )
    content: str = Field(
        max_length=MAX_FILE_CHARS,
        description="The whole new text of the file (UTF-8), at most 1,000,000 characters.",
    )


class ReadFileInput(WorkspaceInput):
    path: WorkspacePath = Field(
        description='File to read, relative to the project root /workspace, e.g. "Program.cs".'
    )


class ProjectFilesInput(WorkspaceInput):
    path: WorkspacePath = Field(
        ".",
        description='Folder to list, relative to the project root /workspace. Default: "." (all).',
    )
    include_build_output: bool = Field(
        False, description="Also list bin/ and obj/ (build output). Default: false."
    )


class AddPackageInput(WorkspaceInput):
    package: Package = Field(
        description=(
            'NuGet package to add to the project: "Name" (the highest stable version the feed '
            'has) or "Name@version", e.g. "Newtonsoft.Json@13.0.3".'
        )
    )


class BuildInput(CommandInput):
    configuration: Literal["Debug", "Release"] = Field(
        "Debug", description='"Debug" (default) or "Release".'
    )


class RunInput(CommandInput):
    args: list[Argument] = Field(
        default_factory=list,
        max_length=MAX_ARGS,
        description="Command-line arguments for the program, at most 64. Default: none.",
    )


class ExecuteCommandInput(CommandInput):
    command: list[Argument] = Field(
        min_length=1,
        max_length=MAX_ARGS,
        description=(
            'The command as an argument list starting with "dotnet", run in /workspace, e.g. '
            '["dotnet", "test"] (results come back structured) or ["dotnet", "format"].'
        ),
    )

    @field_validator("command", mode="after")
    @classmethod
    def _dotnet(cls, value: list[str]) -> list[str]:
        if value[0] != "dotnet":
            raise ValueError(
                f'only "dotnet" commands run in a workspace, not {json.dumps(value[0])[:60]}; '
                'e.g. ["dotnet", "test"]'
            )
        return value

    @property
    def is_test(self) -> bool:
        """Whether this is a plain `dotnet test`, whose results come back structured."""
        return self.command == ["dotnet", "test"]


class RunBackgroundInput(WorkspaceInput):
    name: ProcessName = Field(description=_PROCESS)
    args: list[Argument] = Field(
        default_factory=list,
        max_length=MAX_ARGS,
        description="Command-line arguments for the program, at most 64. Default: none.",
    )


class HostApiInput(WorkspaceInput):
    port: int | None = Field(
        None,
        ge=1024,
        le=65535,
        description=(
            "Port the app listens on inside the workspace, 1024-65535. Default: the running "
            "API's port (it is replaced), else the first free one from 5000."
        ),
    )


class EndpointInput(WorkspaceInput):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(
        "GET", description='HTTP method: "GET" (default), "POST", "PUT", "PATCH", "DELETE", ….'
    )
    path: str = Field(
        max_length=2_048,
        pattern=r"^/[^\s\\]*$",
        description=(
            'Path and query on the workspace\'s hosted API, starting with "/", e.g. '
            '"/todos?done=false"; no scheme or host: only this workspace\'s API is reachable.'
        ),
    )
    headers: dict[
        Annotated[str, StringConstraints(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")],
        Annotated[str, StringConstraints(max_length=8_192, pattern=r"^[^\r\n\x00]*$")],
    ] = Field(
        default_factory=dict,
        max_length=MAX_HEADERS,
        description='Request headers, at most 32, e.g. {"Accept": "application/json"}.',
    )
    body: str | dict[str, JsonValue] | list[JsonValue] | None = Field(
        None,
        description=(
            "Request body: a string as it is, or a JSON object/array (sent as JSON with "
            "Content-Type: application/json). At most 1,000,000 characters."
        ),
    )
    port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description=(
            "Workspace port of the API to call (dotnet_host_api answered it). Default: the "
            "workspace's only running API."
        ),
    )

    @field_validator("path", mode="after")
    @classmethod
    def _own_api_only(cls, value: str) -> str:
        if value.startswith("//"):
            raise ValueError(
                'a path starts with a single "/", e.g. "/items"; no host: only this '
                "workspace's API is reachable"
            )
        return value

    @field_validator("headers", mode="after")
    @classmethod
    def _no_framing_headers(cls, value: dict[str, str]) -> dict[str, str]:
        framing = sorted(name for name in value if name.lower() in _FRAMING)
        if framing:
            raise ValueError(
                f"{', '.join(framing)} are set by the server from the request itself; leave "
                "them out"
            )
        return value

    @field_validator("body", mode="after")
    @classmethod
    def _body_size(cls, value: Any) -> Any:
        if value is not None and len(_text(value)) > MAX_BODY_CHARS:
            raise ValueError(f"at most {MAX_BODY_CHARS:,} characters")
        return value

    def request(self) -> tuple[dict[str, str], str | None]:
        """The headers and body to send: a JSON body as text, with its Content-Type."""
        headers = dict(self.headers)
        if self.body is None or isinstance(self.body, str):
            return headers, self.body
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
        return headers, _text(self.body)


_FRAMING = {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te"}


def _text(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


class LogsInput(WorkspaceInput):
    process: ProcessName | None = Field(
        None,
        description=f"{_PROCESS} Default: the one started last.",
    )
    tail: int = Field(
        100, ge=1, le=MAX_LOG_LINES, description="Last lines to return, 1-2000. Default: 100."
    )
    since: datetime | None = Field(
        None,
        description=(
            'Only lines logged at or after this time (ISO 8601, e.g. "2026-12-06T12:03:00Z"). '
            "Default: no limit."
        ),
    )


class KillProcessInput(WorkspaceInput):
    process: ProcessName = Field(description=_PROCESS)


class NoInput(BaseModel):
    """The parameters of the listing and the cleanup: none."""

    model_config = ConfigDict(extra="forbid")


# ---- the data of the answers ----


# The answers' ProcessOut and WorkspaceOut read a service view's attributes (a few under
# another name, the second of their AliasChoices); the serialized names are the field names.
_FROM_VIEW = ConfigDict(from_attributes=True)


def _tenth(value: float) -> float:
    return round(value, 1)


Tenths = Annotated[float, AfterValidator(_tenth)]  # seconds an answer shows to a tenth


class ProcessOut(BaseModel):
    model_config = _FROM_VIEW

    name: str
    kind: Literal["background", "api"]
    command: list[str] = Field(
        validation_alias=AliasChoices("command", "argv"),
        description="What runs, as an argument list.",
    )
    port: int | None = Field(description="The workspace port it listens on (an API).")
    url: str | None = Field(description="Where dotnet_test_endpoint reaches it, when hosted.")
    running: bool
    exit_code: int | None = Field(description="How it ended, once it has.")
    started_at: datetime


class WorkspaceOut(BaseModel):
    model_config = _FROM_VIEW

    workspace_id: str = Field(validation_alias=AliasChoices("workspace_id", "id"))
    project: str = Field(description='The project file, e.g. "TodoApi.csproj".')
    template: str
    dotnet_version: str = Field(validation_alias=AliasChoices("dotnet_version", "version"))
    runtime: str = Field(
        description='The .NET runtime it runs on, e.g. ".NET 8.0.31"; "" once stopped.'
    )
    status: Literal["running", "stopped", "cleaned"]
    stop_reason: str | None = Field(
        description='Why it stopped: "client", "admin", "idle", "restart" or "limit".'
    )
    stopped_at: datetime | None
    created_at: datetime
    last_used_at: datetime
    age_seconds: Tenths
    idle_seconds: Tenths
    ports: list[int]
    processes: list[ProcessOut]
    cpu_seconds: float | None = Field(description="CPU used so far (running workspaces only).")
    memory_bytes: int | None = Field(description="Memory in use now (running workspaces only).")
    disk_bytes: int | None = Field(description="Disk used by /workspace (running ones only).")


class CreatedOut(BaseModel):
    workspace: WorkspaceOut
    next_steps: list[str] = Field(description="What to call next with this template.")


class WorkspacesOut(BaseModel):
    workspaces: list[WorkspaceOut] = Field(description="Yours (every one, for an admin).")
    running: int
    max_running: int = Field(description="How many may run at once per client.")
    max_workspaces: int = Field(description="How many a client may have, running or stopped.")


class FileWritten(BaseModel):
    path: str = Field(description="Relative to /workspace.")
    size_bytes: int


class FileContent(BaseModel):
    path: str
    size_bytes: int
    content: str


class FileEntry(BaseModel):
    path: str = Field(description="Relative to /workspace; folders end with /.")
    size_bytes: int
    is_dir: bool


class ProjectFiles(BaseModel):
    entries: list[FileEntry]
    files: int
    total_bytes: int
    cut: list[str] = Field(description="What was left out, and how to see it.")


class PackageAdded(BaseModel):
    name: str
    version: str = Field(description="The version added to the project and restored.")


class CommandOut(BaseModel):
    """One command's outcome, streams apart."""

    summary: str = Field(description="The outcome in a sentence.")
    exit_code: int | None
    stdout: str
    stderr: str
    cut: list[str] = Field(description="What was left out of stdout/stderr, and how to see more.")
    timed_out: bool
    limit: str | None = Field(description='Which limit stopped it: "memory", "processes", ….')
    duration_ms: float


class BuildOut(BaseModel):
    succeeded: bool
    summary: str
    errors: int
    warnings: int
    diagnostics: list[DiagnosticOut] = Field(
        description="Compiler, MSBuild and NuGet messages, each with a fix suggestion if known."
    )
    output: CommandOut = Field(description="The build command's own output.")


class RunOut(BaseModel):
    summary: str
    build: BuildOut = Field(description="The build that came first (incremental).")
    run: CommandOut | None = Field(description="The program's run; null if the build failed.")


class UnitTestCase(BaseModel):
    name: str
    outcome: Literal["passed", "failed", "skipped"]
    duration_ms: float
    message: str | None = Field(description="The failure message and stack trace, if failed.")


class UnitTests(BaseModel):
    summary: str
    passed: int
    failed: int
    skipped: int
    cases: list[UnitTestCase] = Field(
        description="Failed ones first; see cut if some are left out."
    )
    cut: list[str]
    build: BuildOut


class CommandRun(BaseModel):
    output: CommandOut
    diagnostics: list[DiagnosticOut] = Field(
        description="MSBuild/compiler/NuGet messages found in the output, with suggestions."
    )
    tests: UnitTests | None = Field(description='Structured results of ["dotnet", "test"].')


class HostedOut(BaseModel):
    process: ProcessOut
    url: str = Field(description="The API's address; call it with dotnet_test_endpoint.")
    log: str = Field(description="The app's first log lines.")
    ready_ms: float = Field(description="How long it took to answer its first request.")
    replaced: str | None = Field(
        None,
        description="The running API this one replaced (stopped before the build), or null.",
    )


class EndpointOut(BaseModel):
    status_code: int
    headers: dict[str, str]
    body: str
    json_body: JsonValue = Field(description="The body parsed, when it is JSON; else null.")
    duration_ms: float


class LogsOut(BaseModel):
    process: str
    running: bool
    exit_code: int | None
    lines: list[str]
    cut: list[str]


class CleanedOut(BaseModel):
    stopped: int = Field(description="How many workspaces were stopped and removed.")


def answer_model(data: type[BaseModel]) -> type[BaseModel]:
    """The output model of a tool whose success carries `data`: either shape, by `status`."""
    success: Any = Success[data]  # type: ignore[valid-type]
    root: Any = RootModel[Annotated[success | Failure, ANSWER]]
    return type(f"{data.__name__}Answer", (root,), {"model_config": ANSWER_CONFIG})
