"""Request bodies and query parameters of the admin API (responses are forge/schemas.py models).

Bodies refuse unknown fields, so a misspelt field is a 422 naming it rather than a silent no-op.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from polybox.forge.bulk_decisions import MAX_DECISIONS, Decision
from polybox.forge.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from polybox.forge.settings import (
    AlertFormat,
    ApprovalMode,
    Minutes,
    ModuleName,
    NetworkPolicy,
    Percent,
    PrivateHost,
    RemoteEditing,
    RetentionDays,
    WebhookUrl,
)

PageParam = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")]
PageSizeParam = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")]
PAGE_SIZE_DEFAULT = DEFAULT_PAGE_SIZE


def sort_query(fields: Mapping[str, object], default: str) -> Any:
    """The `sort` query parameter over a service's SORT_FIELDS (`-` first for descending)."""
    names = "|".join(sorted(fields))
    return Query(
        default=None,
        pattern=f"^-?({names})$",
        description=f"One of {', '.join(sorted(fields))}; '-' first for descending "
        f"(default {default}).",
    )


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerCreate(Body):
    name: str = Field(description="Lowercase letters, digits and '_', starting with a letter.")
    description: str = ""


class ServerUpdate(Body):
    description: str


class AllowedHosts(Body):
    hosts: list[str] = Field(description="host or host:port entries; replaces the list.")
    private: list[str] = Field(
        default=[],
        description=(
            "Hosts of the list on a private network (names that resolve to private addresses); "
            "added to the private_hosts setting too. Private and loopback IPs and localhost are "
            "added without being named here."
        ),
    )


class AllowedModules(Body):
    modules: list[str] = Field(description="Module names; replaces the server's own list.")


class Rollback(Body):
    version: int = Field(ge=1, description="The version whose code becomes current again.")


class ReviewNote(Body):
    note: str | None = Field(default=None, description="Shown to the tool's author.")


class Rejection(Body):
    reason: str = Field(min_length=1, description="What to change before asking again.")


class RequestDecision(Body):
    approve: bool
    note: str | None = None
    package: str | None = Field(
        default=None,
        description=(
            "For an approved module: the package to install when its name differs from the "
            "module's (python-dateutil for dateutil), optionally pinned (name==1.2)."
        ),
    )


class InstallRetry(Body):
    package: str | None = Field(
        default=None, description="Install this package instead of the one tried before."
    )


class BulkDecisions(Body):
    items: list[Decision] = Field(min_length=1, max_length=MAX_DECISIONS)


class SecretCreate(Body):
    key: str = Field(description="Uppercase letters, digits and '_', e.g. WEATHER_API_KEY.")
    description: str = ""


class SecretValue(Body):
    value: str = Field(description="Stored encrypted; never returned by any endpoint.")
    raw: bool = Field(
        default=False,
        description="Hand the value to approved tool code in clear (for local computation such "
        "as signing). Off: code sees a stand-in that only the egress broker turns into the value.",
    )


class SettingsPatch(Body):
    """Any subset of the settings; every bad field is reported at once."""

    tool_approval_mode: ApprovalMode | None = None
    module_approval_mode: ApprovalMode | None = None
    network_access_policy: NetworkPolicy | None = None
    remote_tool_editing: RemoteEditing | None = None
    redact_secrets_in_output: bool | None = None
    log_retention_days: RetentionDays | None = None
    test_before_approval: bool | None = None
    local_test_before_approval: bool | None = None
    allowed_modules: list[ModuleName] | None = None
    private_hosts: list[PrivateHost] | None = None
    alerts_enabled: bool | None = None
    alert_webhook_url: WebhookUrl | None = None
    alert_format: AlertFormat | None = None
    alert_failure_rate_percent: Percent | None = None
    alert_failure_window_minutes: Minutes | None = None
    alert_approval_wait_minutes: Minutes | None = None
    alert_cooldown_minutes: Minutes | None = None
