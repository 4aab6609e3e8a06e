import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { DashboardOut } from "../api/types";
import { DashboardPage } from "./DashboardPage";
import { mockApi, renderWithProviders } from "./servers/testing/apiMock";

afterEach(() => vi.unstubAllGlobals());

const SLOW = { server: "weather", tool: "current", calls: 4, errors: 1, p50_ms: 12, p95_ms: 80 };

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
  snippets: { per_day: [], per_version: [] },
  running_workspaces: { "8": 0, "9": 0, "10": 0 },
};

describe("DashboardPage", () => {
  it("names tools as MCP clients see them: server__tool", async () => {
    mockApi({ "GET /dashboard": DASHBOARD });
    renderWithProviders(<DashboardPage />);
    const table = await screen.findByRole("table", { name: "Slowest tools" });
    expect(within(table).getByRole("link", { name: "weather__current" })).toBeInTheDocument();
  });
});
