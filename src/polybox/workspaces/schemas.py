"""What the snippet tools take and give: validated inputs, and the data of their answers.

Inputs are validated with the server's settings as pydantic context (`SETTINGS_CONTEXT`), since
the longest timeout a call may ask for is a setting. Bad input is refused with every bad field
named at once; each field's description says the valid form, so it doubles as the suggestion.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    RootModel,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from polybox.config import Settings
from polybox.sandbox.dotnet import (
    DOTNET_VERSIONS,
    InvalidPackageRefError,
    PackageRef,
    parse_package_ref,
)
from polybox.workspaces.answers import ANSWER, ANSWER_CONFIG, Failure, Success

SETTINGS_CONTEXT = "settings"
DEFAULT_VERSION = "10"
MAX_CODE_CHARS = 50_000
MAX_PACKAGES = 20


def _dotnet_version(value: Any) -> str:
    """Accept 8 as well as "8"; refuse any version this server does not run."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value not in DOTNET_VERSIONS:
        known = ", ".join(f'"{version}"' for version in DOTNET_VERSIONS)
        given = json.dumps(value) if isinstance(value, str | int | float | None) else "that"
        raise ValueError(f"{given} is not a .NET version this server runs; use one of {known}")
    return str(value)


def _package(value: Any) -> PackageRef:
    if not isinstance(value, str):
        raise ValueError('a package is a string, "Name" or "Name@version"')
    try:
        return parse_package_ref(value)
    except InvalidPackageRefError as exc:
        raise ValueError(str(exc)) from None


DotnetVersion = Annotated[
    str,
    PlainValidator(_dotnet_version),
    WithJsonSchema({"enum": [*DOTNET_VERSIONS, *(int(v) for v in DOTNET_VERSIONS)]}),
]
Package = Annotated[
    PackageRef,
    PlainValidator(_package),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "examples": ["Newtonsoft.Json", "Humanizer@2.14.1"]}),
]


class TimedInput(BaseModel):
    """A call with a `timeout_s` that settings bound and default: `dotnet_<kind>_timeout_seconds`
    when the call names none, at most `dotnet_<kind>_max_timeout_seconds`."""

    timeout_kind: ClassVar[Literal["snippet", "command"]]
    if TYPE_CHECKING:  # each subclass declares it in its place, with its own description
        timeout_s: float | None

    @field_validator("timeout_s", mode="after", check_fields=False)
    @classmethod
    def _within_the_limit(cls, value: float | None, info: ValidationInfo) -> float | None:
        settings: Settings = (info.context or {})[SETTINGS_CONTEXT]
        return value if value is None else bounded_timeout(settings, cls.timeout_kind, value)

    def timeout(self, settings: Settings) -> float:
        """The call's timeout: the one asked for, else the server's default."""
        return bounded_timeout(settings, self.timeout_kind, self.timeout_s)


def bounded_timeout(
    settings: Settings, kind: Literal["snippet", "command"], timeout_s: float | None
) -> float:
    """`timeout_s` within `dotnet_<kind>_max_timeout_seconds` (ValueError saying the limit),
    or with None the default `dotnet_<kind>_timeout_seconds`."""
    if timeout_s is None:
        return float(getattr(settings, f"dotnet_{kind}_timeout_seconds"))
    limit = float(getattr(settings, f"dotnet_{kind}_max_timeout_seconds"))
    if not 0 < timeout_s <= limit:
        raise ValueError(
            f"give more than 0 and at most {limit:g} seconds on this server "
            f"(dotnet_{kind}_max_timeout_seconds)"
        )
    return timeout_s


class SnippetFields(TimedInput):
    """What a snippet call and a comparison share."""

    model_config = ConfigDict(extra="forbid")
    timeout_kind: ClassVar[Literal["snippet", "command"]] = "snippet"

    code: str = Field(
        min_length=1,
        max_length=MAX_CODE_CHARS,
        description=(
            "C# source, 1 to 50,000 characters: top-level statements or a full program. A bare "
            "last expression is printed; `#:package Name@version` lines add packages."
        ),
    )
    packages: list[Package] = Field(
        default_factory=list,
        max_length=MAX_PACKAGES,
        description=(
            'NuGet packages, at most 20, each "Name" (the highest stable version the feed has) '
            'or "Name@version", e.g. "Newtonsoft.Json@13.0.3".'
        ),
    )
    detail_level: Literal["concise", "full"] = Field(
        "concise",
        description=(
            '"concise": the first 50 lines of each output stream, with a note of what was cut; '
            '"full": all of it (each text field at most 25,000 characters).'
        ),
    )
    timeout_s: float | None = Field(
        None,
        gt=0,
        description=(
            "Seconds the run may take before it is stopped. Default: the server's "
            "dotnet_snippet_timeout_seconds (30 unless changed); at most its "
            "dotnet_snippet_max_timeout_seconds (300 unless changed)."
        ),
    )


class SnippetInput(SnippetFields):
    dotnet_version: DotnetVersion = Field(
        DEFAULT_VERSION, description='.NET version to run on: "8", "9" or "10" (default).'
    )


class CompareInput(SnippetFields):
    dotnet_versions: list[DotnetVersion] = Field(
        default_factory=lambda: list(DOTNET_VERSIONS),
        min_length=2,
        max_length=len(DOTNET_VERSIONS),
        description='Versions to compare, at least two of "8", "9", "10" (default: all three).',
    )

    @field_validator("dotnet_versions", mode="after")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("name each version once")
        return value


class DiagnosticOut(BaseModel):
    file: str
    line: int
    column: int
    code: str = Field(description='e.g. "CS0246", "NU1101".')
    severity: str = Field(description='"error", "warning" or "info".')
    message: str
    suggestion: str | None = Field(description="How to fix it, when polybox knows.")


class PackageOut(BaseModel):
    name: str
    version: str = Field(description="The version restored and used.")


class SnippetRun(BaseModel):
    """One run of a snippet on one version."""

    dotnet_version: str
    runtime: str = Field(description="FrameworkDescription of the run; empty if it never ran.")
    outcome: Literal["ok", "compile_error", "restore_error", "runtime_error", "timeout", "limit"]
    summary: str = Field(description="The outcome in a sentence.")
    exit_code: int | None
    stdout: str
    stderr: str
    cut: list[str] = Field(description="What was left out of stdout/stderr, and how to see more.")
    diagnostics: list[DiagnosticOut]
    packages: list[PackageOut]
    compile_ms: float
    run_ms: float
    limit: str | None = Field(description='Which limit stopped it, when outcome is "limit".')


class OutputDiff(BaseModel):
    base: str = Field(description="The version compared against (the first one).")
    other: str
    diff: str = Field(description="Unified diff of their outputs (stdout, then stderr if any).")


class Comparison(BaseModel):
    runs: list[SnippetRun] = Field(description="One run per version, side by side, in order.")
    same_output: bool = Field(description="Whether every version printed exactly the same.")
    diffs: list[OutputDiff] = Field(description="For each version whose output differs.")


class SnippetAnswer(RootModel[Annotated[Success[SnippetRun] | Failure, ANSWER]]):
    model_config = ANSWER_CONFIG


class ComparisonAnswer(RootModel[Annotated[Success[Comparison] | Failure, ANSWER]]):
    model_config = ANSWER_CONFIG
