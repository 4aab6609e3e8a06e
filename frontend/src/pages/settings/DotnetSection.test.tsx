import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { DotnetSettingOut, DotnetVersionOut } from "../../api/types";
import { type Call, json, mockApi, renderWithProviders } from "../servers/testing/apiMock";
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

function setting(name: string, value: unknown, overrides: Partial<DotnetSettingOut> = {}): DotnetSettingOut {
  return {
    name,
    env: `POLYBOX_${name.toUpperCase()}`,
    value,
    startup_value: value,
    editable: true,
    overridden: false,
    description: `what ${name} does`,
    kind: typeof value === "number" ? "integer" : Array.isArray(value) ? "choices" : "string",
    choices: Array.isArray(value) ? ["8", "9", "10"] : null,
    minimum: typeof value === "number" ? 1 : null,
    maximum: typeof value === "number" ? 100_000 : null,
    exclusive_minimum: false,
    ...overrides,
  };
}

const SETTINGS = [
  setting("dotnet_versions", ["8", "9"]),
  setting("dotnet_workspace_idle_timeout_seconds", 3600, { kind: "number" }),
  setting("dotnet_workspace_memory_mb", 2048),
  setting("dotnet_workspace_processes", 512),
  setting("dotnet_nuget_source", null),
  setting("dotnet_compiler_memory_mb", 1024, { editable: false }),
  setting("mcp_tool_sets", ["polybox", "dotnet"], { editable: false, choices: ["polybox", "dotnet"] }),
  setting("dotnet_future_knob", 3, { editable: false }),
];

/** The settings list with `changes` applied as the API would answer after a PATCH. */
function changed(changes: Record<string, unknown>): DotnetSettingOut[] {
  return SETTINGS.map((item) =>
    item.name in changes ? { ...item, value: changes[item.name], overridden: true } : item,
  );
}

function renderSection(routes: Record<string, unknown> = {}) {
  const calls = mockApi({ "GET /dotnet/status": VERSIONS, "GET /settings/dotnet": SETTINGS, ...routes });
  renderWithProviders(<DotnetSection />);
  return calls;
}

function form(name: string) {
  return screen.findByRole("form", { name });
}

describe("DotnetSection", () => {
  it("shows each version as doctor sees it, with the fix for one not prepared", async () => {
    renderSection();
    const table = await screen.findByRole("table", { name: ".NET versions" });
    expect(within(table).getByRole("row", { name: /\.NET 8 available .NET 8\.0\.22 yes, warm 212 MB/ })).toBeInTheDocument();
    expect(
      within(table).getByRole("row", { name: /\.NET 9 not prepared Fix: run `polybox dotnet prepare --versions 9`/ }),
    ).toBeInTheDocument();
  });

  it("makes the changeable settings inputs by topic, and shows the startup-only ones with their variable", async () => {
    renderSection();
    const versions = await form("Versions");
    const enabled = within(versions).getByRole("group", { name: "Enabled" });
    expect(within(enabled).getByRole("checkbox", { name: ".NET 8" })).toBeChecked();
    expect(within(enabled).getByRole("checkbox", { name: ".NET 10" })).not.toBeChecked();
    const idle = screen.getByRole("spinbutton", { name: "Stopped after idling (seconds)" });
    expect(idle).toHaveValue(3600);
    expect(idle).toHaveAccessibleDescription("1 to 100000 seconds");
    expect(screen.getByRole("textbox", { name: "NuGet feed" })).toHaveValue("");
    expect(screen.queryByRole("form", { name: "MCP tools" })).not.toBeInTheDocument();
    expect(screen.getByText("Tool sets offered").parentElement).toHaveTextContent("polybox, dotnet POLYBOX_MCP_TOOL_SETS");
    expect(screen.getByText("dotnet_future_knob").parentElement).toHaveTextContent("3 POLYBOX_DOTNET_FUTURE_KNOB");
    expect(screen.queryByText("changed here")).not.toBeInTheDocument();
  });

  it("saves a topic's changed fields only, says so, and marks them changed with their startup value", async () => {
    const calls = renderSection({
      "PATCH /settings/dotnet": changed({ dotnet_workspace_memory_mb: 4096 }),
    });
    const limits = await form("Limits per workspace");
    const save = within(limits).getByRole("button", { name: "Save" });
    expect(save).toBeDisabled();
    const memory = within(limits).getByRole("spinbutton", { name: "Memory (MB)" });
    await userEvent.clear(memory);
    await userEvent.type(memory, "4096");
    await userEvent.click(save);
    expect(await within(limits).findByRole("status")).toHaveTextContent("Saved: Memory. The next call uses the new values.");
    expect(calls.filter((call) => call.method === "PATCH").map((call) => call.body)).toEqual([
      { dotnet_workspace_memory_mb: 4096 },
    ]);
    expect(memory).toHaveValue(4096);
    expect(within(limits).getByText("changed here").parentElement).toHaveTextContent("startup value: 2048 MB");
    expect(save).toBeDisabled();
  });

  it("shows the API's field errors at their fields and keeps the typed values", async () => {
    const message = "Input should be less than or equal to 100000";
    renderSection({
      "PATCH /settings/dotnet": json(422, {
        error: {
          type: "invalid_input",
          message: "invalid .NET settings",
          details: [{ field: "dotnet_workspace_processes", message }],
        },
      }),
    });
    const limits = await form("Limits per workspace");
    const processes = within(limits).getByRole("spinbutton", { name: "Processes" });
    await userEvent.clear(processes);
    await userEvent.type(processes, "999999");
    await userEvent.click(within(limits).getByRole("button", { name: "Save" }));
    expect(await within(limits).findByRole("alert")).toHaveTextContent("Nothing was saved");
    expect(processes).toBeInvalid();
    expect(processes).toHaveAccessibleDescription(`1 to 100000 ${message}`);
    expect(processes).toHaveValue(999999);
  });

  it("refuses an empty number before sending anything, and sends versions in order and an empty feed as none", async () => {
    const feed = "https://feed.example/v3/index.json";
    const calls = renderSection({
      "GET /settings/dotnet": changed({ dotnet_nuget_source: feed }),
      "PATCH /settings/dotnet": (call: Call) => changed({ dotnet_nuget_source: feed, ...(call.body as object) }),
    });
    const limits = await form("Limits per workspace");
    const memory = within(limits).getByRole("spinbutton", { name: "Memory (MB)" });
    await userEvent.clear(memory);
    await userEvent.click(within(limits).getByRole("button", { name: "Save" }));
    expect(memory).toHaveAccessibleDescription("1 to 100000 MB Enter a number.");
    expect(calls.some((call) => call.method === "PATCH")).toBe(false);

    const versions = await form("Versions");
    await userEvent.click(within(versions).getByRole("checkbox", { name: ".NET 10" }));
    await userEvent.click(within(versions).getByRole("checkbox", { name: ".NET 8" }));
    await userEvent.click(within(versions).getByRole("button", { name: "Save" }));
    await within(versions).findByRole("status");
    const packages = await form("Code and packages");
    const source = within(packages).getByRole("textbox", { name: "NuGet feed" });
    expect(source).toHaveValue(feed);
    await userEvent.clear(source);
    await userEvent.click(within(packages).getByRole("button", { name: "Save" }));
    await within(packages).findByRole("status");
    expect(calls.filter((call) => call.method === "PATCH").map((call) => call.body)).toEqual([
      { dotnet_versions: ["9", "10"] },
      { dotnet_nuget_source: null },
    ]);
  });

  it("resets a changed setting to its startup value and puts the focus back on its field", async () => {
    const overridden = changed({ dotnet_workspace_memory_mb: 4096 });
    const calls = renderSection({
      "GET /settings/dotnet": overridden,
      "DELETE /settings/dotnet/dotnet_workspace_memory_mb": SETTINGS,
    });
    const limits = await form("Limits per workspace");
    const memory = within(limits).getByRole("spinbutton", { name: "Memory (MB)" });
    expect(memory).toHaveValue(4096);
    await userEvent.click(within(limits).getByRole("button", { name: "Reset Memory to its startup value" }));
    expect(await within(limits).findByRole("status")).toHaveTextContent("Memory is back to its startup value, 2048 MB.");
    expect(memory).toHaveValue(2048);
    expect(memory).toHaveFocus();
    expect(within(limits).queryByText("changed here")).not.toBeInTheDocument();
    expect(calls.filter((call) => call.method === "DELETE").map((call) => call.path)).toEqual([
      "/settings/dotnet/dotnet_workspace_memory_mb",
    ]);
  });
});
