"""One typed settings object for the whole process.

Sources, strongest first: explicit overrides (CLI flags), `POLYBOX_*` environment variables, an
optional TOML file (`POLYBOX_CONFIG` or `--config`), then the defaults below. Only startup reads
the environment; everything else receives a `Settings` instance. Run `python -m polybox.config` to
print the settings reference (docs/CONFIGURATION.md is generated from it and a test keeps it true).
"""

from __future__ import annotations

import ipaddress
import os
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from polybox.errors import UserError

ENV_PREFIX = "POLYBOX_"
_SECRET_SETTINGS = frozenset(
    {"POLYBOX_DATABASE_URL", "POLYBOX_ENCRYPTION_KEY", "POLYBOX_OIDC_CLIENT_SECRET"}
)
CONFIG_FILE_ENV = "POLYBOX_CONFIG"

# Async drivers the store is built on; plain dialect names are upgraded to them for convenience.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class ConfigError(UserError):
    """A setting is invalid or unusable; the message names the setting and how to fix it."""


class Settings(BaseSettings):
    """Every setting polybox reads. Field descriptions are the user-facing documentation."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        validate_default=True,
    )

    # --- server -----------------------------------------------------------------------------
    data_dir: Path = Field(
        default=Path("~/.local/share/polybox"),
        description="Where polybox keeps its SQLite database, keys and installed packages.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the store. Unset: a SQLite file `polybox.db` in the data dir. "
            "Production or several replicas: `postgresql+asyncpg://user:pass@host/db`."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address `polybox serve` listens on.")
    port: int = Field(default=8765, ge=1, le=65535, description="Port `polybox serve` listens on.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Least severe log level written."
    )
    log_format: Literal["json", "console"] = Field(
        default="json",
        description="`json`: one JSON object per line (for collectors); `console`: for humans.",
    )
    retention_interval_seconds: float = Field(
        default=900.0,
        ge=1,
        le=86400,
        description=(
            "How often execution and activity logs older than the `log_retention_days` setting "
            "(admin UI) are deleted; the first pass runs a few seconds after start."
        ),
    )
    api_max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description=(
            "Largest request body the admin API (`/api`) accepts; a larger one is refused with "
            "413. `/mcp` has its own limits."
        ),
    )
    cors_origins: list[str] = Field(
        default=[],
        description=(
            "Origins (e.g. `https://admin.example.com`) whose browsers may call `/api` "
            "cross-origin; as an environment variable a JSON list. Empty: CORS is off."
        ),
    )
    pypi_url: str = Field(
        default="https://pypi.org",
        description=(
            "Package index whose JSON API (`<url>/pypi/<name>/json`) describes a requested "
            "module to the admin before approval, and whose simple index (`<url>/simple/`) "
            "approved modules are installed from (wheels only)."
        ),
    )
    pypi_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Time limit of one package index request."
    )
    package_wheels_dir: Path | None = Field(
        default=None,
        description=(
            "A folder of wheels to install approved modules from instead of the index "
            "(offline installs); the packages and all their dependencies must be in it."
        ),
    )
    package_install_timeout_seconds: float = Field(
        default=300.0, gt=0, le=3600, description="Time limit of one approved module's install."
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description=(
            "Base64 of 32 bytes used to encrypt server secrets. Unset: generated once into "
            "`<data_dir>/secret.key` (mode 0600)."
        ),
    )

    # --- remote access ----------------------------------------------------------------------
    # `mode` and `public_url` are H4's (OAuth); the rest is H5's (proxies, limits, replicas).
    mode: Literal["local", "remote"] = Field(
        default="local",
        description=(
            "`local`: MCP without authentication, for clients on this machine. `remote`: every "
            "`/mcp` request needs a bearer token, and polybox must sit behind an HTTPS proxy "
            "(see `trusted_proxies`)."
        ),
    )
    public_url: str | None = Field(
        default=None,
        description=(
            "The externally visible base URL, e.g. `https://polybox.example.com`; OAuth issuer "
            "and resource URLs derive from it. Unset: `http://<host>:<port>`."
        ),
    )
    oauth_access_token_ttl_seconds: int = Field(
        default=3600,
        ge=60,
        le=86400,
        description="Lifetime of an access token the built-in OAuth server issues to MCP clients.",
    )
    oauth_refresh_token_ttl_seconds: int = Field(
        default=30 * 86400,
        ge=3600,
        le=365 * 86400,
        description=(
            "Lifetime of an OAuth refresh token; each refresh issues a new one (rotation), so "
            "a client that refreshes within this time stays connected."
        ),
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description=(
            "Addresses or CIDR ranges (e.g. `10.0.0.0/8`) of reverse proxies whose "
            "`X-Forwarded-For` and `X-Forwarded-Proto` headers are believed; as an environment "
            "variable a JSON list. From any other peer those headers are ignored."
        ),
    )
    allow_insecure_remote: bool = Field(
        default=False,
        description=(
            "Let remote mode serve plain HTTP without a trusted HTTPS proxy. For tests and "
            "development only: bearer tokens then cross the network in clear text."
        ),
    )
    mcp_rate_limit_per_minute: int = Field(
        default=600,
        ge=1,
        description=(
            "Requests to `/mcp` one bearer token may make per minute (per replica); more get "
            "429 with `Retry-After`."
        ),
    )
    mcp_ip_rate_limit_per_minute: int = Field(
        default=1200,
        ge=1,
        description=(
            "Requests to `/mcp` one client address may make per minute (per replica), with or "
            "without a token; more get 429 with `Retry-After`."
        ),
    )
    mcp_stateless: bool | None = Field(
        default=None,
        description=(
            "Serve handshake-era MCP clients without `Mcp-Session-Id` sessions, so any replica "
            "can answer any request. Unset: stateless when the database is PostgreSQL "
            "(replicas), sessions on SQLite."
        ),
    )
    mcp_tool_sets: list[Literal["polybox", "dotnet"]] = Field(
        default=["polybox", "dotnet"],
        description=(
            "Tool sets MCP clients see and may call; as an environment variable a JSON list. "
            "`polybox`: the tool forge (`polybox_*` management tools and the forged tools); "
            '`dotnet`: the `dotnet_*` tools. `["dotnet"]` gives a team that wants only .NET a '
            "short tool list; `[]` serves no tools at all."
        ),
    )

    # --- upstream identity provider ---------------------------------------------------------
    oidc_issuer_url: str | None = Field(
        default=None,
        description=(
            "Issuer of an OpenID Connect provider (e.g. `https://login.example.com/realms/team`) "
            'whose users may approve MCP clients on the consent page ("Sign in with ..."). '
            "Its discovery document is read from `<issuer>/.well-known/openid-configuration`. "
            "Register `<public_url>/oauth/oidc/callback` as the redirect URI there. Unset: "
            "password sign-in only."
        ),
    )
    oidc_client_id: str | None = Field(
        default=None, description="polybox's client id at the OpenID Connect provider."
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None,
        description=(
            "polybox's client secret at the provider (sent with HTTP Basic). Unset: a public "
            "client, protected by PKCE alone."
        ),
    )
    oidc_display_name: str | None = Field(
        default=None,
        description='Name on the sign-in button ("Sign in with <name>"). Unset: the issuer host.',
    )
    oidc_allowed_email_domains: list[str] = Field(
        default=[],
        description=(
            'Email domains (e.g. `["example.com"]`) whose users, with an email the provider '
            "marks verified, get an account of role `mcp` on their first sign-in; as an "
            'environment variable a JSON list. `["*"]`: every user the provider signs in. '
            "Required when `oidc_issuer_url` is set. Accounts are linked by the provider's "
            "subject, so a later email change keeps the account."
        ),
    )

    # --- sandbox ----------------------------------------------------------------------------
    sandbox: Literal["auto", "bwrap", "docker", "unsafe-local"] = Field(
        default="auto",
        description=(
            "Sandbox backend. `auto` picks bwrap when the host supports it. `unsafe-local` runs "
            "tool code without isolation and must be chosen explicitly; the UI marks it."
        ),
    )
    sandbox_user: str = Field(
        default="polybox-sbx",
        description=(
            "Unprivileged account the bwrap sandbox runs as when polybox runs as root "
            "(`polybox doctor --fix` creates it). Ignored when polybox itself is unprivileged."
        ),
    )
    sandbox_python: Path = Field(
        default=Path("/usr/bin/python3"),
        description="Interpreter used inside the Box; it must be readable by the sandbox user.",
    )
    docker_image: str = Field(
        default="python:3.11-slim",
        description=(
            "Image for Boxes of the docker backend; it needs `python3` on PATH (polybox's "
            "launcher inside the Box is a Python one-liner). Pulled on first use."
        ),
    )
    docker_cpus: float = Field(
        default=1.0,
        gt=0,
        le=64,
        description="CPUs one docker Box may use at most (fractions allowed, e.g. `0.5`).",
    )
    docker_network: str = Field(
        default="bridge",
        description=(
            "Docker network for Boxes that are given network access; every other docker Box "
            "has network mode `none`."
        ),
    )
    pool_size: int = Field(
        default=4, ge=1, le=64, description="Warm Python workers kept ready for tool calls."
    )
    worker_max_calls: int = Field(
        default=500, ge=1, description="Calls a worker serves before it is recycled."
    )
    server_max_concurrent_calls: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Workers one server's calls may hold at once; further calls of that server queue "
            "(other servers' calls are served in turn, not behind them). Unset: one less than "
            "`pool_size` (at least 1), so one server can never take every worker."
        ),
    )
    shutdown_timeout_seconds: int = Field(
        default=30,
        ge=1,
        le=3600,
        description=(
            "On SIGTERM or SIGINT, how long `polybox serve` lets in-flight requests finish "
            "before it stops them, writes pending logs and destroys its Boxes."
        ),
    )
    call_queue_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description=(
            'How long a tool call waits for a free worker before it fails with a "busy" error.'
        ),
    )
    call_timeout_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="Wall-clock limit of one tool call."
    )
    call_memory_mb: int = Field(
        default=512, ge=32, description="Address-space limit of one tool call, in MiB."
    )
    call_output_limit_bytes: int = Field(
        default=65536, ge=1024, description="Printed output kept per call; the rest is cut."
    )
    call_result_limit_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON result a tool call may return."
    )
    box_tmp_size_mb: int = Field(
        default=64, ge=1, description="Size of the tmpfs mounted at /tmp inside each Box."
    )
    box_workspace_size_mb: int = Field(
        default=64,
        ge=1,
        description=(
            "Size of /workspace (a tmpfs) inside the Box of each Python worker; tool calls get "
            "a clear error when /workspace or /tmp is full, and both are emptied after every call."
        ),
    )
    egress_timeout_seconds: float = Field(
        default=15.0, gt=0, le=300, description="Time limit of one outbound HTTP request."
    )
    egress_max_response_bytes: int = Field(
        default=10_485_760, ge=1024, description="Largest response body a tool may download."
    )

    # --- .NET -------------------------------------------------------------------------------
    dotnet_versions: list[Literal["8", "9", "10"]] = Field(
        default=["8", "9", "10"],
        description=(
            ".NET versions snippets may run on; as an environment variable a JSON list. A "
            "version is prepared (its runtime laid out from NuGet) by `polybox dotnet prepare` "
            "or on its first snippet; one not listed is refused, never run on another."
        ),
    )
    dotnet_prewarm_versions: list[Literal["8", "9", "10"]] = Field(
        default=["10"],
        description=(
            "Versions whose compile server starts with polybox (when already prepared), so "
            "their first snippet is fast; the others start on first use."
        ),
    )
    dotnet_snippet_memory_mb: int = Field(
        default=512,
        ge=128,
        le=65_536,
        description=(
            "Memory of one snippet run (cgroup cap; the GC heap is held to 3/4 of it), in MiB."
        ),
    )
    dotnet_snippet_processes: int = Field(
        default=128,
        ge=64,
        le=100_000,
        description="Processes and threads one snippet run may have (the CLR needs about 20).",
    )
    dotnet_snippet_tmp_size_mb: int = Field(
        default=64,
        ge=8,
        le=65_536,
        description="Size of the tmpfs /tmp (also HOME) of a snippet run: its writable disk.",
    )
    dotnet_output_limit_bytes: int = Field(
        default=262_144,
        ge=1024,
        le=67_108_864,
        description="Output kept of each of a snippet's stdout and stderr; the rest is cut.",
    )
    dotnet_compiler_memory_mb: int = Field(
        default=1024,
        ge=256,
        description="Memory cap of one version's compile server (its Box's cgroup), in MiB.",
    )
    dotnet_compiler_recycle_mb: int = Field(
        default=600,
        ge=128,
        description="A compile server whose working set grows past this (MiB) is replaced.",
    )
    dotnet_compile_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        le=600,
        description="Time limit of one compile; a server that takes longer is restarted.",
    )
    dotnet_nuget_source: str | None = Field(
        default=None,
        description=(
            "NuGet feed snippet and workspace packages and runtime packs are restored from: a "
            "v3 index URL (http or https) or a folder's absolute path. Unset: the sources of the "
            "host's NuGet configuration (nuget.org by default)."
        ),
    )
    dotnet_snippet_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description=(
            "Wall-clock limit of a C# snippet run (`dotnet_execute_snippet`, "
            "`dotnet_compare_versions`) when the call names no `timeout_s`."
        ),
    )
    dotnet_snippet_max_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        le=3600,
        description="Largest `timeout_s` a snippet call may ask for; more is refused.",
    )
    dotnet_snippet_code_retention_days: int = Field(
        default=7,
        ge=1,
        le=3650,
        description=(
            "Days the code of each snippet run is kept for admins to read (Activity, "
            "`/api/dotnet/snippets`); after that only its SHA-256 stays. The run itself (who, "
            "version, outcome, duration) follows the log retention setting."
        ),
    )
    dotnet_workspace_max_running_per_client: int = Field(
        default=5,
        ge=1,
        le=1000,
        description=(
            "Running .NET workspaces one client may have at once; `dotnet_create_project` "
            "beyond it is refused until the client stops one."
        ),
    )
    dotnet_workspace_max_per_client: int = Field(
        default=10,
        ge=1,
        le=1000,
        description=(
            "Workspaces one client may have, running or stopped (a stopped one counts until "
            "cleaned up: `dotnet_cleanup_all`, or idle cleanup)."
        ),
    )
    dotnet_workspace_idle_timeout_seconds: float = Field(
        default=3600.0,
        ge=1,
        le=2_592_000,
        description=(
            "A workspace unused this long is cleaned up (its Box and files removed); a stopped "
            "one is forgotten this long after it stopped. Checked every tenth of it."
        ),
    )
    dotnet_command_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description=(
            "Wall-clock limit of a workspace command (build, run, test, `dotnet_execute_command`) "
            "when the call names no timeout."
        ),
    )
    dotnet_command_max_timeout_seconds: float = Field(
        default=600.0,
        gt=0,
        le=3600,
        description="Largest timeout a workspace command may ask for; more is refused.",
    )
    dotnet_host_ready_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        le=600,
        description=(
            "How long `dotnet_host_api` waits for the hosted app to answer an HTTP request "
            "before it stops the app and says so."
        ),
    )

    dotnet_workspace_memory_mb: int = Field(
        default=2048,
        ge=512,
        le=1_048_576,
        description=(
            "Memory of one .NET project workspace as a whole (cgroup: its builds, build "
            "servers and apps), in MiB; a command that passes it is killed and says so."
        ),
    )
    dotnet_workspace_processes: int = Field(
        default=512,
        ge=128,
        le=100_000,
        description=(
            "Processes and threads of one .NET project workspace (pids cgroup); a fork bomb "
            "stops there. MSBuild and the compiler server need about 150."
        ),
    )
    dotnet_workspace_disk_mb: int = Field(
        default=2048,
        ge=64,
        le=1_048_576,
        description=(
            "Disk quota of one workspace's /workspace, in MiB: a loop-mounted ext4 image when "
            "polybox runs as root, else a size check after each command that refuses more work "
            "once the workspace is over it."
        ),
    )
    dotnet_workspace_cpu_seconds: int = Field(
        default=600,
        ge=10,
        le=604_800,
        description=(
            "CPU seconds one process of a workspace may use (RLIMIT_CPU); each command also "
            "has its wall-clock timeout."
        ),
    )
    dotnet_workspace_tmp_size_mb: int = Field(
        default=512,
        ge=64,
        le=65_536,
        description=(
            "Size of the tmpfs /tmp (also HOME) shared by a workspace's commands, and of each "
            "background process's own, in MiB."
        ),
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Overrides beat the environment, which beats the TOML file, which beats defaults."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("database_url", mode="after")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return normalise_database_url(value).render_as_string(hide_password=False)

    @field_validator("pypi_url", mode="after")
    @classmethod
    def _check_pypi_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, e.g. https://pypi.org")
        return value.rstrip("/")

    @field_validator("public_url", mode="after")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, e.g. https://polybox.example.com")
        return value.rstrip("/")

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _check_trusted_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR range, e.g. 10.0.0.0/8"
                ) from None
        return value

    @field_validator("oidc_issuer_url", mode="after")
    @classmethod
    def _check_oidc_issuer_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        host = urlsplit(value).hostname or ""
        if not (
            value.startswith("https://") or (value.startswith("http://") and _is_loopback(host))
        ):
            raise ValueError("must be an https URL (http only for 127.0.0.1 and localhost)")
        return value.rstrip("/")

    @field_validator("oidc_client_id", mode="after")
    @classmethod
    def _check_oidc_client_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("oidc_issuer_url") and not value:
            raise ValueError("required when POLYBOX_OIDC_ISSUER_URL is set")
        return value

    @field_validator("oidc_allowed_email_domains", mode="after")
    @classmethod
    def _check_oidc_domains(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("oidc_issuer_url") and not value:
            raise ValueError(
                'required when POLYBOX_OIDC_ISSUER_URL is set: e.g. ["example.com"], or ["*"] '
                "for every user of the provider"
            )
        return [domain.strip().lower().lstrip("@") for domain in value]

    @field_validator("dotnet_nuget_source", mode="after")
    @classmethod
    def _check_nuget_source(cls, value: str | None) -> str | None:
        if value is None:
            return None
        one_source = value and not any(c.isspace() or c == ";" for c in value)
        url = urlsplit(value)
        if one_source and (
            (url.scheme in ("http", "https") and url.hostname) or value.startswith("/")
        ):
            return value
        raise ValueError(
            "give one feed: a v3 index URL such as https://api.nuget.org/v3/index.json, or a "
            "folder's absolute path"
        )

    @field_validator("dotnet_snippet_max_timeout_seconds", mode="after")
    @classmethod
    def _check_snippet_timeouts(cls, value: float, info: ValidationInfo) -> float:
        default = info.data.get("dotnet_snippet_timeout_seconds")
        if default is not None and default > value:
            raise ValueError(
                f"must be at least POLYBOX_DOTNET_SNIPPET_TIMEOUT_SECONDS ({default:g}), "
                "the timeout a call gets when it names none"
            )
        return value

    @field_validator("dotnet_command_max_timeout_seconds", mode="after")
    @classmethod
    def _check_command_timeouts(cls, value: float, info: ValidationInfo) -> float:
        default = info.data.get("dotnet_command_timeout_seconds")
        if default is not None and default > value:
            raise ValueError(
                f"must be at least POLYBOX_DOTNET_COMMAND_TIMEOUT_SECONDS ({default:g}), "
                "the timeout a command gets when it names none"
            )
        return value

    @property
    def database(self) -> URL:
        """The effective store URL (the SQLite file in the data dir unless set)."""
        if self.database_url is None:
            return make_url(f"sqlite+aiosqlite:///{self.data_dir / 'polybox.db'}")
        return make_url(self.database_url)

    @property
    def public_base_url(self) -> str:
        """The base URL clients reach polybox at: `public_url`, else `http://<host>:<port>`."""
        if self.public_url is not None:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def mcp_sessionless(self) -> bool:
        """Whether `/mcp` runs without sessions: `mcp_stateless`, or PostgreSQL when unset."""
        if self.mcp_stateless is not None:
            return self.mcp_stateless
        return self.database.get_backend_name() == "postgresql"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_database_url(value: str) -> URL:
    """Parse a database URL and pin it to the async driver polybox uses for its dialect."""
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ValueError(
            "not a database URL; expected e.g. postgresql+asyncpg://user:pass@host/db"
        ) from exc
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        supported = "sqlite+aiosqlite, postgresql+asyncpg"
        raise ValueError(f"unsupported database {url.drivername!r}; supported: {supported}")
    if driver.startswith("sqlite") and url.database in (None, "", ":memory:"):
        raise ValueError("SQLite needs a file path, e.g. sqlite+aiosqlite:////var/lib/polybox.db")
    return url.set(drivername=driver)


def env_name(field: str) -> str:
    """The environment variable that sets a field."""
    return f"{ENV_PREFIX}{field.upper()}"


def _describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(loc) for loc in error["loc"]) or "settings"
        name = env_name(field) if field in Settings.model_fields else field
        given = error.get("input")
        # Never echo values that may hold credentials.
        shown = isinstance(given, str | int | float) and name not in _SECRET_SETTINGS
        suffix = f" (got {given!r})" if shown else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting; see docs/CONFIGURATION.md for the valid names"
        parts.append(f"invalid setting {name}: {message}{suffix}")
    return "; ".join(parts)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from overrides, the environment and the TOML file.

    Raises ConfigError with one line naming the offending setting, never a validation dump.
    """
    path_text = str(config_file) if config_file else os.environ.get(CONFIG_FILE_ENV)
    settings_cls: type[Settings] = Settings
    if path_text:
        path = Path(path_text).expanduser()
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"invalid setting {CONFIG_FILE_ENV}: cannot read {path}: {exc.strerror}"
            ) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"invalid setting {CONFIG_FILE_ENV}: {path} is not TOML: {exc}"
            ) from exc

        class _FromFile(Settings):
            model_config = SettingsConfigDict(toml_file=path)

        settings_cls = _FromFile
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc)) from exc


def ensure_data_dir(settings: Settings) -> Path:
    """Create the data dir (0700) if needed and prove it is a writable directory."""
    path = settings.data_dir
    name = env_name("data_dir")
    try:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"invalid setting {name}: {path} exists and is not a directory")
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"invalid setting {name}: cannot create {path}: {exc.strerror}") from exc
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise ConfigError(
            f"invalid setting {name}: {path} is not readable and writable by this user; "
            "fix its permissions or point POLYBOX_DATA_DIR elsewhere"
        )
    return path


def render_reference() -> str:
    """The settings reference in Markdown, generated from the field definitions."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated by `make docs` (python -m polybox.config); do not edit by hand. -->",
        "",
        "Every setting can be given as an environment variable or as a key in a TOML file named",
        f"by `{CONFIG_FILE_ENV}` (or `polybox --config FILE`). The environment wins over the file.",
        "An invalid value stops polybox with one line naming the setting and exit code 2.",
        "",
        "| Environment variable | TOML key | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "unset" if default is None else f"`{default}`"
        lines.append(f"| `{env_name(name)}` | `{name}` | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_reference())
