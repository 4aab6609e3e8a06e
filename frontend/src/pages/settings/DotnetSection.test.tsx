import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { DotnetStatusOut } from "../../api/types";
import { mockApi, renderWithProviders } from "../servers/testing/apiMock";
import { DotnetSection } from "./DotnetSection";

afterEach(() => vi.unstubAllGlobals());

const VERSION = { enabled: true, available: true, warm: true, prewarmed: true, fix: "" };

const STATUS: DotnetStatusOut = {
  versions: [
    { ...VERSION, version: "8", runtime: ".NET 8.0.22", compiler_rss_mb: 212.4 },
    { ...VERSION, version: "9", runtime: "", available: false, warm: false, prewarmed: false, compiler_rss_mb: null, fix: "run `polybox dotnet prepare --versions 9`" },
  ],
  settings: {
    dotnet_versions: ["8", "9"],
    dotnet_prewarm_versions: ["8"],
    dotnet_workspace_max_running_per_client: 5,
    dotnet_workspace_max_per_client: 10,
    dotnet_workspace_idle_timeout_seconds: 3600,
    dotnet_workspace_memory_mb: 2048,
    dotnet_workspace_processes: 512,
    dotnet_workspace_disk_mb: 2048,
    dotnet_workspace_cpu_seconds: 600,
    dotnet_snippet_memory_mb: 512,
    dotnet_snippet_processes: 64,
    dotnet_snippet_timeout_seconds: 10,
    dotnet_snippet_max_timeout_seconds: 60,
    dotnet_command_timeout_seconds: 120,
    dotnet_command_max_timeout_seconds: 600,
    dotnet_nuget_source: null,
  },
};

describe("DotnetSection", () => {
  it("shows each version as doctor sees it, with the fix for one not prepared", async () => {
    mockApi({ "GET /dotnet/status": STATUS });
    renderWithProviders(<DotnetSection />);
    const table = await screen.findByRole("table", { name: ".NET versions" });
    expect(within(table).getByRole("row", { name: /\.NET 8 available .NET 8\.0\.22 yes, warm 212 MB/ })).toBeInTheDocument();
    expect(within(table).getByRole("row", { name: /\.NET 9 not prepared Fix: run `polybox dotnet prepare --versions 9`/ })).toBeInTheDocument();
  });

  it("shows the limits with the variable that sets each", async () => {
    mockApi({ "GET /dotnet/status": STATUS });
    renderWithProviders(<DotnetSection />);
    const idle = await screen.findByText("Stopped after idling");
    expect(idle.parentElement).toHaveTextContent("1 h POLYBOX_DOTNET_WORKSPACE_IDLE_TIMEOUT_SECONDS");
    expect(screen.getByText("NuGet feed").parentElement).toHaveTextContent("nuget.org (the default)");
  });
});
