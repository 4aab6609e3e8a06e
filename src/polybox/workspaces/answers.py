"""The one answer shape of every `dotnet_*` tool, and the cap on its text fields.

Success: `{status: "success", data, metadata: {execution_time_ms, workspace_id, dotnet_version,
runtime}}`. Failure: `{status: "error", error: {type, message, suggestions}}`. Every string in
an answer is at most `TEXT_LIMIT` characters, so no field can flood a client's context; a cut
string ends with a note saying how much was left out.
"""

from __future__ import annotations

import time
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

TEXT_LIMIT = 25_000

DataT = TypeVar("DataT", bound=BaseModel)


class Metadata(BaseModel):
    execution_time_ms: float = Field(description="Wall time of the whole call on the server.")
    workspace_id: str | None = Field(
        description="The workspace the call ran in; null for snippets (each runs in a fresh Box)."
    )
    dotnet_version: str = Field(description='The .NET version(s) asked for, e.g. "10" or "8,10".')
    runtime: str = Field(
        description="RuntimeInformation.FrameworkDescription of the run(s), e.g. '.NET 8.0.22'; "
        "empty when the code never ran."
    )


class ErrorDetail(BaseModel):
    type: str = Field(description="What kind of failure, e.g. 'invalid_arguments'.")
    message: str = Field(description="What went wrong, in a sentence.")
    suggestions: list[str] = Field(description="What to do about it.")


class Success(BaseModel, Generic[DataT]):
    status: Literal["success"] = "success"
    data: DataT
    metadata: Metadata


class Failure(BaseModel):
    status: Literal["error"] = "error"
    error: ErrorDetail


# The output models of the tools: `RootModel[Annotated[Success[X] | Failure, ANSWER]]` with
# `model_config = ANSWER_CONFIG`. MCP wants an output schema of type object; both shapes are.
ANSWER = Field(discriminator="status")
ANSWER_CONFIG = ConfigDict(json_schema_extra={"type": "object"})


def failure(kind: str, message: str, suggestions: tuple[str, ...] | list[str] = ()) -> Failure:
    """The error answer."""
    return Failure(error=ErrorDetail(type=kind, message=message, suggestions=list(suggestions)))


def capped(value: Any) -> Any:
    """`value` (JSON data) with every string cut to `TEXT_LIMIT` characters, the cut noted."""
    if isinstance(value, str):
        return cut_text(value, TEXT_LIMIT)
    if isinstance(value, dict):
        return {key: capped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [capped(item) for item in value]
    return value


def cut_text(text: str, limit: int) -> str:
    """`text`, or its start and a note of how many characters were cut, in `limit` characters."""
    if len(text) <= limit:
        return text
    note = f"\n[… cut here: {len(text):,} characters in all]"
    return text[: limit - len(note)] + note


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a `time.perf_counter()`), for `execution_time_ms`."""
    return round((time.perf_counter() - started) * 1000, 1)
