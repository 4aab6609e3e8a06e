import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { DashboardOut } from "../api/types";
import { DashboardPage } from "./DashboardPage";
import { mockApi, renderWithProviders } from "./servers/testing/apiMock";

afterEach(() => vi.unstubAllGlobals());

const SLOW = { server: "weather", tool: "current", calls: 4, errors: 1, p50_ms: 12, p95_ms: 80 };

const SNIPPETS: DashboardOut["snippets"] = {
  per_day: [
    { day: "2026-12-05T00:00:00Z", runs: 3, failures: 0 },
    { day: "2026-12-06T00:00:00Z", runs: 5, failures: 2 },
  ],
  per_version: [{ version: "8", runs: 8, failures: 2, p50_ms: 240, p95_ms: 1250 }],
};

const DASHBOARD: DashboardOut = {
  generated_at: "2026-12-06T08:00:00Z",
  servers: { running: 1 },
  tools: { approved: 1 },
  pending_approvals: { tools: 0, modules: 0, network: 0 },
  calls_per_hour: [{ hour: "2026-12-06T07:00:00Z", calls: 4, errors: 1 }],
  calls: 4,
  errors: 1,
  error_rate: 0.25,
  latency: [SLOW],
  slowest_tools: [SLOW],
  latency_sampled: false,
  snippets: SNIPPETS,
  running_workspaces: { "8": 2, "9": 0, "10": 1 },
};

describe("DashboardPage", () => {
  it("names tools as MCP clients see them: server__tool", async () => {
    mockApi({ "GET /dashboard": DASHBOARD });
    renderWithProviders(<DashboardPage />);
    const table = await screen.findByRole("table", { name: "Slowest tools" });
    expect(within(table).getByRole("link", { name: "weather__current" })).toBeInTheDocument();
  });

  it("shows running workspaces, snippet runs and failures, and latency per .NET version", async () => {
    mockApi({ "GET /dashboard": DASHBOARD });
    renderWithProviders(<DashboardPage />);
    const counts = await screen.findByRole("region", { name: ".NET counts" });
    expect(counts).toHaveTextContent("3Running workspaces.NET 8: 2, .NET 9: 0, .NET 10: 1");
    expect(counts).toHaveTextContent("8C# snippet runs (2 days)2 failed");
    expect(within(counts).getByRole("link", { name: "See snippet runs" })).toHaveAttribute("href", "/dotnet/snippets");
    expect(screen.getByRole("img", { name: /8 runs, 2 failed/ })).toBeInTheDocument();
    const latency = screen.getByRole("table", { name: "Snippet latency per .NET version" });
    expect(within(latency).getByRole("row", { name: ".NET 8 8 2 240 ms 1.3 s" })).toBeInTheDocument();
  });
});
