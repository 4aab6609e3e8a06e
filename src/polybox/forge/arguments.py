"""Checking a call's arguments against the tool's input schema before any code runs.

A bad argument must come back as one clear message listing every bad field (`city: is
required; units: 'x' is not one of ['metric', 'imperial']`), never as a TypeError from inside the
sandbox. Validators are compiled once per distinct schema (`argument_validator`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import SchemaError

from polybox.forge.errors import FieldError, InvalidInputError

_VALIDATORS_CACHED = 1024


def argument_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """The compiled validator of an input schema (one per distinct schema, cached).

    Raises InvalidInputError when the schema itself is invalid. Call plans keep the result, so
    a call does not even pay for the cache key.
    """
    return _validator(json.dumps(schema, sort_keys=True))


def check_arguments(
    tool: str, validator: Draft202012Validator, arguments: Mapping[str, Any]
) -> None:
    """Raise InvalidInputError listing every argument the tool's `validator` refuses."""
    problems = [
        problem
        for error in sorted(validator.iter_errors(dict(arguments)), key=_order)
        for problem in _field_errors(error)
    ]
    if problems:
        raise InvalidInputError.of_fields(f"invalid arguments for {tool}", problems)


@lru_cache(maxsize=_VALIDATORS_CACHED)
def _validator(schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    if schema.get("type") == "object" and "additionalProperties" not in schema:
        # main(**arguments) would fail on an unknown keyword: refuse it here, by name.
        schema["additionalProperties"] = False
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InvalidInputError(
            f"the tool's input schema is invalid ({exc.message}); update the tool's code"
        ) from None
    return Draft202012Validator(schema)


def _order(error: ValidationError) -> tuple[str, str]:
    return (_path(error), error.message)


def _path(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path)


def _field_errors(error: ValidationError) -> list[FieldError]:
    """One FieldError per bad field; `required` and `additionalProperties` name their fields."""
    prefix = _path(error)
    joined = f"{prefix}." if prefix else ""
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required" and isinstance(error.validator_value, list):
        return [
            FieldError(f"{joined}{name}", "is required")
            for name in error.validator_value
            if name not in instance
        ]
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties" and error.validator_value is False:
        known = set(schema.get("properties", {}))
        return [
            FieldError(f"{joined}{name}", "is not an argument of this tool")
            for name in sorted(set(instance) - known)
        ]
    return [FieldError(prefix or "arguments", error.message)]
