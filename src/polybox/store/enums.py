"""The states stored in the database, as string enums services can import and compare.

Values are what the database holds (checked by a CHECK constraint per column); renaming a value is
a migration, adding one only widens the constraint.
"""

from enum import StrEnum


class AdminRole(StrEnum):
    ADMIN = "admin"
    MCP = "mcp"


class ServerStatus(StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"


class ToolStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class ToolKind(StrEnum):
    CODE = "code"
    PASSTHROUGH = "passthrough"


class VersionAuthor(StrEnum):
    LLM = "llm"
    ADMIN = "admin"
    IMPORT = "import"
    ROLLBACK = "rollback"


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class InstallState(StrEnum):
    """Where an approved module's package is: being installed, importable, or failed."""

    INSTALLING = "installing"
    INSTALLED = "installed"
    FAILED = "failed"


class Requester(StrEnum):
    LLM = "llm"
    ADMIN = "admin"


class SourceTransport(StrEnum):
    STREAMABLE_HTTP = "streamable_http"
    SSE = "sse"


class SourceAuth(StrEnum):
    NONE = "none"
    BEARER = "bearer"
    OAUTH = "oauth"


class SourceHealth(StrEnum):
    UNKNOWN = "unknown"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


class ExecutionStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"


class ActorKind(StrEnum):
    ADMIN = "admin"
    LLM = "llm"
    SYSTEM = "system"


class OAuthTokenKind(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class WorkspaceStatus(StrEnum):
    """A .NET workspace: its Box runs, was stopped (its row kept), or was cleaned up."""

    RUNNING = "running"
    STOPPED = "stopped"
    CLEANED = "cleaned"


class StopReason(StrEnum):
    """Why a workspace is no longer running, for the error its owner's next call gets."""

    CLIENT = "client"
    ADMIN = "admin"
    IDLE = "idle"
    RESTART = "restart"
    LIMIT = "limit"
