import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { DotnetVersionOut, StartupSettingOut } from "../../api/types";
import { mockApi, renderWithProviders } from "../servers/testing/apiMock";
import { DotnetSection } from "./DotnetSection";

afterEach(() => vi.unstubAllGlobals());

const VERSION = { enabled: true, available: true, warm: true, prewarmed: true, fix: "" };

const VERSIONS: DotnetVersionOut[] = [
  { ...VERSION, version: "8", runtime: ".NET 8.0.22", compiler_memory_mb: 212.4 },
  {
    ...VERSION,
    version: "9",
    runtime: "",
    available: false,
    warm: false,
    prewarmed: false,
    compiler_memory_mb: null,
    fix: "run `polybox dotnet prepare --versions 9`",
  },
];

function setting(name: string, value: unknown): StartupSettingOut {
  return { name, env: `POLYBOX_${name.toUpperCase()}`, value, description: `what ${name} does` };
}

const SETTINGS = [
  setting("dotnet_versions", ["8", "9"]),
  setting("dotnet_workspace_idle_timeout_seconds", 3600),
  setting("dotnet_workspace_memory_mb", 2048),
  setting("dotnet_nuget_source", null),
  setting("mcp_tool_sets", ["polybox", "dotnet"]),
];

describe("DotnetSection", () => {
  it("shows each version as doctor sees it, with the fix for one not prepared", async () => {
    mockApi({ "GET /dotnet/status": VERSIONS, "GET /settings/dotnet": SETTINGS });
    renderWithProviders(<DotnetSection />);
    const table = await screen.findByRole("table", { name: ".NET versions" });
    expect(within(table).getByRole("row", { name: /\.NET 8 available .NET 8\.0\.22 yes, warm 212 MB/ })).toBeInTheDocument();
    expect(
      within(table).getByRole("row", { name: /\.NET 9 not prepared Fix: run `polybox dotnet prepare --versions 9`/ }),
    ).toBeInTheDocument();
  });

  it("shows each setting by topic with the variable that sets it, and the rest under Other", async () => {
    mockApi({ "GET /dotnet/status": VERSIONS, "GET /settings/dotnet": SETTINGS });
    renderWithProviders(<DotnetSection />);
    const idle = await screen.findByText("Stopped after idling");
    expect(idle.parentElement).toHaveTextContent("1 h POLYBOX_DOTNET_WORKSPACE_IDLE_TIMEOUT_SECONDS");
    expect(screen.getByText("Enabled").parentElement).toHaveTextContent("8, 9");
    expect(screen.getByText("NuGet feed").parentElement).toHaveTextContent("nuget.org (the default)");
    expect(screen.getByText("mcp_tool_sets").parentElement).toHaveTextContent("polybox, dotnet POLYBOX_MCP_TOOL_SETS");
    expect(screen.queryByRole("heading", { name: "Timeouts" })).not.toBeInTheDocument();
  });
});
