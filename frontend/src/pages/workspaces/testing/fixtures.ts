/** Plausible workspace API objects for the pages' tests; override what a test is about. */
import type { ProcessOut, SnippetRunOut, WorkspaceOut } from "../../../api/types";

const AT = "2026-12-06T10:00:00Z";

export function process(overrides: Partial<ProcessOut> = {}): ProcessOut {
  return {
    name: "api",
    kind: "api",
    argv: ["dotnet", "bin/Debug/net8.0/Api.dll"],
    port: 5000,
    running: true,
    exit_code: null,
    started_at: AT,
    url: "http://127.0.0.1:41234",
    ...overrides,
  };
}

export function workspace(overrides: Partial<WorkspaceOut> = {}): WorkspaceOut {
  return {
    id: "dotnet8-webapi-3fa2c1",
    owner: "claude-desktop",
    version: "8",
    template: "webapi",
    project: "Api.csproj",
    status: "running",
    stop_reason: null,
    stopped_at: null,
    created_at: AT,
    last_used_at: AT,
    age_seconds: 3_700,
    idle_seconds: 125,
    ports: [5000],
    processes: [process()],
    cpu_seconds: 12.5,
    memory_bytes: 300 * 1024 * 1024,
    disk_bytes: 40 * 1024 * 1024,
    ...overrides,
  };
}

export const SNIPPET = 'Console.WriteLine($"snippet on {Environment.Version.Major}");\n';

export function snippetRun(overrides: Partial<SnippetRunOut> = {}): SnippetRunOut {
  return {
    id: 42,
    actor_kind: "llm",
    owner: "claude-desktop",
    version: "8",
    outcome: "ok",
    duration_ms: 1_250,
    code_hash: "9f2c1a7be04d5c3e8f6a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6",
    code: SNIPPET,
    created_at: AT,
    ...overrides,
  };
}

/** A Server-Sent Events response with these messages, left open like a live stream. */
export function openStream(...messages: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const message of messages) controller.enqueue(encoder.encode(message));
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
}
