"""Checking what `main` returned against its return annotation (the tool's output schema).

MCP clients check `structuredContent` against the tool's `outputSchema` and fail the whole call
(-32602) when it does not match, so the model never sees a message it could act on. The runner
checks first: a mismatch becomes the call's error ("main returned str, its annotation says int"),
an `isError` result for the client and an `error` in the execution log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from polybox.forge.code import return_annotation
from polybox.sandbox.python import RunResult, ToolError
from polybox.sandbox.redaction import JsonValue

_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "dict"}


@dataclass(frozen=True, slots=True)
class ReturnCheck:
    """A tool's output schema, compiled, and the annotation it was derived from."""

    annotation: str
    validator: Draft202012Validator
    wraps: bool  # the schema is the `{"result": ...}` wrapper of a non-object return


def return_check(code: str, output_schema: Mapping[str, Any] | None) -> ReturnCheck | None:
    """The check of `code`'s return value; None when `main` declares no output schema."""
    if not output_schema:
        return None
    return ReturnCheck(
        annotation=return_annotation(code) or "its output schema",
        validator=Draft202012Validator(output_schema),
        wraps=wraps_result(output_schema),
    )


def wraps_result(output_schema: Mapping[str, Any] | None) -> bool:
    """Whether the declared output is the `{"result": ...}` wrapper of a non-object return."""
    if not output_schema:
        return False
    return output_schema.get("required") == ["result"] and set(
        output_schema.get("properties", {})
    ) == {"result"}


def structured_content(value: JsonValue, *, wraps: bool) -> dict[str, Any]:
    """What MCP gets as `structuredContent`: an object result as is, anything else wrapped."""
    if isinstance(value, dict) and not wraps:
        return value
    return {"result": value}


def checked(check: ReturnCheck | None, result: RunResult) -> RunResult:
    """`result`, or a failed one saying how the value `main` returned misses its annotation."""
    if check is None or not result.ok:
        return result
    structured = structured_content(result.result, wraps=check.wraps)
    if check.validator.is_valid(structured):
        return result
    error = best_match(check.validator.iter_errors(structured))
    path = list(error.absolute_path)[1 if check.wraps else 0 :]
    message = (
        f"main returned {_TYPE_NAMES.get(type(result.result), 'None')}, "
        f"its annotation says {check.annotation}"
    )
    if path or error.validator != "type":  # say where inside the value, and what
        where = "".join(f"[{part!r}]" for part in path)
        message += f": {f'at {where}, ' if where else ''}{error.message}"
    return dataclasses.replace(
        result, ok=False, result=None, error=ToolError(type="TypeError", message=message)
    )
