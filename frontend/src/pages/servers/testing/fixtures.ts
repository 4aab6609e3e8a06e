/** Plausible API objects for H2's tests; override what a test is about. */
import type { ExecutionLogOut, RequestOut, ServerOut, ToolOut, ToolVersionOut } from "../../../api/types";

const AT = "2026-11-21T05:00:00Z";

export function server(overrides: Partial<ServerOut> = {}): ServerOut {
  return {
    id: 1,
    name: "weather",
    description: "Weather tools",
    status: "running",
    allowed_hosts: [],
    allowed_modules: [],
    tool_counts: { draft: 0, pending_review: 1, approved: 0, rejected: 0 },
    created_at: AT,
    updated_at: AT,
    ...overrides,
  };
}

export function tool(overrides: Partial<ToolOut> = {}): ToolOut {
  return {
    id: 7,
    server: "weather",
    name: "current",
    public_name: "weather__current",
    description: "Current weather in a city",
    status: "pending_review",
    enabled: true,
    input_schema: { type: "object", properties: { city: { type: "string" } } },
    output_schema: null,
    annotations: {},
    current_version: 3,
    approved_version: null,
    review_note: null,
    created_at: AT,
    updated_at: AT,
    code: "def main(city: str) -> str:\n    return city\n",
    analysis: null,
    ...overrides,
  };
}

export function version(number: number, overrides: Partial<ToolVersionOut> = {}): ToolVersionOut {
  return {
    number,
    author: "llm",
    code_sha256: `sha${number}`,
    description: `version ${number}`,
    created_at: AT,
    is_current: false,
    is_approved: false,
    ...overrides,
  };
}

export function request(overrides: Partial<RequestOut> = {}): RequestOut {
  return {
    kind: "module",
    id: 11,
    server: "weather",
    module: "httpx",
    host: null,
    port: null,
    reason: "HTTP client",
    status: "pending",
    requested_by: "llm",
    decision_note: null,
    created_at: AT,
    decided_at: null,
    ...overrides,
  };
}

export function log(overrides: Partial<ExecutionLogOut> = {}): ExecutionLogOut {
  return {
    id: 21,
    server: "weather",
    tool: "current",
    status: "ok",
    arguments: { city: "Paris" },
    result: { result: "sunny" },
    stdout: "",
    error: null,
    duration_ms: 12.4,
    client_id: null,
    created_at: AT,
    ...overrides,
  };
}
