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

// .NET: workspaces, versions, settings, snippet runs and their numbers
export type WorkspaceOut = Schemas["WorkspaceOut"];
export type ProcessOut = Schemas["ProcessOut"];
export type WorkspaceFileOut = Schemas["FileOut"];
export type WorkspaceFileContent = Schemas["FileContentOut"];
export type CleanupOut = Schemas["CleanupOut"];
export type DotnetVersionOut = Schemas["VersionStatusOut"];
export type DotnetSettingOut = Schemas["DotnetSettingOut"];
export type SnippetRunOut = Schemas["SnippetRunOut"];
