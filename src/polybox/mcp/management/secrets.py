"""Management tools for server secrets: keys only; values are set by an admin, never here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from polybox.forge import secrets
from polybox.forge.schemas import SecretOut
from polybox.mcp.management.base import Call, Input, ManagementTool


class ServerRef(Input):
    server: str = Field(description="Server name.")


class CreateSecret(ServerRef):
    key: str = Field(description="Secret key, e.g. 'WEATHER_API_KEY': A-Z, 0-9, '_', max 64.")
    description: str = Field("", description="What the value is and where the admin gets it.")


class SecretList(BaseModel):
    items: list[SecretOut]


async def _create(call: Call, args: CreateSecret) -> SecretOut:
    async with call.transaction() as session:
        return await secrets.create_secret_placeholder(
            session, call.actor, args.server, args.key, args.description
        )


async def _list(call: Call, args: ServerRef) -> SecretList:
    async with call.transaction() as session:
        return SecretList(items=await secrets.list_secrets(session, args.server))


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "polybox_create_server_secret",
        "Declare a secret a server's tools need (a placeholder without value). An admin sets "
        "the value in the admin UI. Tool code reads secrets['KEY'] and gets a stand-in, not the "
        "value: put it in the URL, a header (Basic credentials too) or the body of a request to "
        "an allowed host and polybox sends the value there; everywhere else it stays a stand-in "
        "(compare, print or transform it and you handle the stand-in). Only a secret the admin "
        "marks raw is the value itself, in approved code. Values never pass through MCP.",
        CreateSecret,
        _create,
        output=SecretOut,
    ),
    ManagementTool(
        "polybox_list_server_secrets",
        "List a server's secret keys, their descriptions and whether a value has been set.",
        ServerRef,
        _list,
        output=SecretList,
        read_only=True,
        idempotent=True,
    ),
]
