"""The export document: what a `polybox export` file holds, as pydantic models.

Format version 1. The document is plain JSON so an admin can read and diff it; nothing in it is a
secret's value (secrets are keys and descriptions only) and no external source's token or OAuth
state. Schemas of code tools are informative: an import derives them again from the code.
Readers refuse unknown fields, so a field added later needs a new format version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from polybox.store.enums import (
    Requester,
    RequestStatus,
    ServerStatus,
    SourceAuth,
    SourceTransport,
    ToolKind,
    ToolStatus,
    VersionAuthor,
)

FORMAT = "polybox-export"
FORMAT_VERSION = 1

Text = Annotated[str, Field(max_length=100_000)]


class Part(BaseModel):
    """Base of the document's parts: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class VersionDoc(Part):
    number: int = Field(ge=1)
    code: Text
    description: Text = ""
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None
    author: VersionAuthor
    created_at: datetime


class ToolDoc(Part):
    name: str
    description: Text = ""
    kind: ToolKind = ToolKind.CODE
    status: ToolStatus
    enabled: bool = True
    current_version: int | None = Field(default=None, ge=1)  # None only for passthrough tools
    approved_version: int | None = Field(default=None, ge=1)
    review_note: Text | None = None
    input_schema: dict[str, Any] = Field(default_factory=dict)
    output_schema: dict[str, Any] | None = None
    annotations: dict[str, Any] = Field(default_factory=dict)
    external_source: str | None = None  # a passthrough tool's source, by name
    remote_name: str | None = Field(default=None, max_length=128)  # its name at the source
    versions: list[VersionDoc] = Field(default_factory=list)


class SecretDoc(Part):
    """A secret placeholder: its key and description, never a value."""

    key: str
    description: Text = ""


class RequestDoc(Part):
    """What module and network requests share: who asked, why, and the decision."""

    reason: Text = ""
    status: RequestStatus
    requested_by: Requester
    decision_note: Text | None = None
    created_at: datetime
    decided_at: datetime | None = None


class ModuleRequestDoc(RequestDoc):
    module: str = Field(max_length=200)


class NetworkRequestDoc(RequestDoc):
    host: str = Field(max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)


class SourceDoc(Part):
    """An external MCP source without its credentials (a bearer token stays a secret key)."""

    name: str
    url: Text
    transport: SourceTransport = SourceTransport.STREAMABLE_HTTP
    auth_kind: SourceAuth = SourceAuth.NONE
    auth_secret_key: str | None = None


class ServerDoc(Part):
    name: str
    description: Text = ""
    status: ServerStatus = ServerStatus.STOPPED
    allowed_hosts: list[str] = Field(default_factory=list)
    allowed_modules: list[str] = Field(default_factory=list)
    tools: list[ToolDoc] = Field(default_factory=list)
    secrets: list[SecretDoc] = Field(default_factory=list)
    module_requests: list[ModuleRequestDoc] = Field(default_factory=list)
    network_requests: list[NetworkRequestDoc] = Field(default_factory=list)
    external_sources: list[SourceDoc] = Field(default_factory=list)


class Payload(Part):
    servers: list[ServerDoc]


class ExportDocument(Part):
    """The whole file. `signature` is the HMAC of everything else (see `signing`)."""

    format: Literal["polybox-export"]
    version: Literal[1]
    polybox_version: str
    exported_at: datetime
    key_fingerprint: str
    payload: Payload
    signature: str
