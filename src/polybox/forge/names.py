"""Names and sizes the forge accepts, checked in one place with messages that say the rule."""

from __future__ import annotations

import re

from polybox.forge.errors import FieldError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
NAME_RULE = "use 1-48 characters: lowercase letters, digits and '_', starting with a letter"
MAX_CODE_BYTES = 100_000
MAX_DESCRIPTION_CHARS = 2_000
# Forged tools are exposed as `<server>__<tool>`; a '__' inside a name would make that ambiguous.
SEPARATOR = "__"


def name_problem(field: str, value: str) -> FieldError | None:
    """Why `value` is not a valid server or tool name, or None."""
    if not NAME_PATTERN.fullmatch(value):
        return FieldError(field, f"{value!r} is not a valid name; {NAME_RULE}")
    if SEPARATOR in value:
        return FieldError(field, f"{value!r} must not contain '{SEPARATOR}'")
    return None


def code_problem(field: str, code: str) -> FieldError | None:
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        return FieldError(field, f"code is {size} bytes; the limit is {MAX_CODE_BYTES}")
    return None


def description_problem(field: str, text: str) -> FieldError | None:
    if len(text) > MAX_DESCRIPTION_CHARS:
        return FieldError(
            field, f"description is {len(text)} characters; the limit is {MAX_DESCRIPTION_CHARS}"
        )
    return None


def public_tool_name(server: str, tool: str) -> str:
    """The MCP name of a forged tool."""
    return f"{server}{SEPARATOR}{tool}"
