"""Parsing a tool's input model as the MCP layer does: with the settings as validation context."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from polybox.config import Settings
from polybox.workspaces.schemas import SETTINGS_CONTEXT


def parse(model: type[BaseModel], settings: Settings, **arguments: Any) -> Any:
    """`arguments` validated by `model` under `settings`."""
    return model.model_validate(arguments, context={SETTINGS_CONTEXT: settings})


def refusal(model: type[BaseModel], settings: Settings, **arguments: Any) -> str:
    """The message of the validation error `arguments` must raise."""
    with pytest.raises(ValidationError) as caught:
        parse(model, settings, **arguments)
    return str(caught.value)
