/**
 * The admin API's resources, named after the OpenAPI schemas (generated into schema.gen.ts by
 * `npm run gen:api`; never typed by hand).
 */
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type Page<T> = {
  items: T[];
  total: number;
  page: number;
  page_size: number;
  pages: number;
};

// auth, admins, tokens
export type AuthStatus = Schemas["AuthStatus"];
export type Credentials = Schemas["Credentials"];
export type TokenPair = Schemas["TokenPair"];
export type AdminOut = Schemas["AdminOut"];
export type PasswordChange = Schemas["PasswordChange"];
export type ApiTokenIn = Schemas["ApiTokenIn"];
export type ApiTokenOut = Schemas["ApiTokenOut"];
export type ApiTokenCreated = Schemas["ApiTokenCreated"];
export type Scope = ApiTokenOut["scopes"][number];

// activity and dashboard
export type ActivityOut = Schemas["ActivityOut"];
export type ActorKind = Schemas["ActorKind"];
export type DashboardOut = Schemas["DashboardOut"];
export type HourCalls = Schemas["HourCalls"];
export type ToolLatency = Schemas["ToolLatency"];

// settings
export type ForgeSettings = Schemas["ForgeSettings"];
export type SettingsPatch = Schemas["SettingsPatch"];
export type SettingsProfile = Schemas["SettingsProfile"];

// servers, tools, approvals, secrets, logs
export type ServerOut = Schemas["ServerOut"];
export type ServerStatus = Schemas["ServerStatus"];
export type ServerCreate = Schemas["ServerCreate"];
export type ToolOut = Schemas["ToolOut"];
export type ToolStatus = Schemas["ToolStatus"];
export type CodeReport = Schemas["CodeReport"];
export type ToolVersionOut = Schemas["ToolVersionOut"];
export type ToolVersionDetailOut = Schemas["ToolVersionDetailOut"];
export type ToolDiffOut = Schemas["ToolDiffOut"];
export type ToolReviewOut = Schemas["ToolReviewOut"];
export type RequestOut = Schemas["RequestOut"];
export type Decision = Schemas["Decision"];
export type DecisionResult = Schemas["DecisionResult"];
export type SecretOut = Schemas["SecretOut"];
export type ExecutionLogOut = Schemas["ExecutionLogOut"];
export type ExecutionStatus = Schemas["ExecutionStatus"];
export type ModuleInfoOut = Schemas["ModuleInfoOut"];

/** The body of every API error. */
export type ErrorBody = Schemas["ErrorBody"];

// .NET workspaces and the .NET runtime (#17). PROVISIONAL: typed from the shared plan
// (WorkspaceView / ProcessView / VersionStatus) until the admin API's schemas are generated into
// schema.gen.ts; then each becomes `Schemas["..."]` like the rest of this file.
export type WorkspaceStatus = "running" | "stopped" | "cleaned";
export type StopReason = "client" | "admin" | "idle" | "restart" | "limit";

export interface ProcessOut {
  name: string;
  kind: "background" | "api";
  argv: string[];
  port: number | null;
  running: boolean;
  exit_code: number | null;
  started_at: string;
  url: string | null;
}

export interface WorkspaceOut {
  id: string;
  owner: string;
  version: string;
  template: string;
  project: string;
  status: WorkspaceStatus;
  stop_reason: StopReason | null;
  stopped_at: string | null;
  created_at: string;
  last_used_at: string;
  idle_seconds: number;
  ports: number[];
  processes: ProcessOut[];
  cpu_seconds: number | null;
  memory_bytes: number | null;
  disk_bytes: number | null;
}

export interface WorkspaceFileOut {
  path: string;
  size: number;
  is_dir: boolean;
  modified: number;
}

export interface WorkspaceFileContent {
  path: string;
  size: number;
  content: string;
  truncated: boolean;
  binary: boolean;
}

export interface CleanupOut {
  cleaned: number;
}

export interface DotnetVersionOut {
  version: string;
  enabled: boolean;
  available: boolean;
  runtime: string;
  warm: boolean;
  prewarmed: boolean;
  compiler_rss_mb: number | null;
  fix: string;
}

export interface DotnetSettingsOut {
  dotnet_versions: string[];
  dotnet_prewarm_versions: string[];
  dotnet_workspace_max_running_per_client: number;
  dotnet_workspace_max_per_client: number;
  dotnet_workspace_idle_timeout_seconds: number;
  dotnet_workspace_memory_mb: number;
  dotnet_workspace_processes: number;
  dotnet_workspace_disk_mb: number;
  dotnet_workspace_cpu_seconds: number;
  dotnet_snippet_memory_mb: number;
  dotnet_snippet_processes: number;
  dotnet_snippet_timeout_seconds: number;
  dotnet_snippet_max_timeout_seconds: number;
  dotnet_command_timeout_seconds: number;
  dotnet_command_max_timeout_seconds: number;
  dotnet_nuget_source: string | null;
}

export interface DotnetStatusOut {
  versions: DotnetVersionOut[];
  settings: DotnetSettingsOut;
}

export interface SnippetDay {
  day: string;
  runs: number;
  failures: number;
}

export interface SnippetLatency {
  version: string;
  runs: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface DotnetDashboardOut {
  snippet_runs_per_day: SnippetDay[];
  snippet_latency: SnippetLatency[];
  running_workspaces: number;
}
