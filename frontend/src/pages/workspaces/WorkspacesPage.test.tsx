import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockApi, renderWithProviders } from "../servers/testing/apiMock";
import { openStream, workspace } from "./testing/fixtures";
import { WorkspacesPage } from "./WorkspacesPage";

afterEach(() => vi.unstubAllGlobals());

describe("WorkspacesPage", () => {
  it("lists each workspace with its owner, version, ports and usage, linking to its page", async () => {
    mockApi({
      "GET /workspaces": [
        workspace(),
        workspace({ id: "dotnet9-console-0a0b0c", version: "9", template: "console", status: "stopped", stop_reason: "idle", ports: [], cpu_seconds: null, memory_bytes: null }),
      ],
      "GET /activity/stream": () => openStream(": following\n\n"),
    });
    renderWithProviders(<WorkspacesPage />);

    const table = await screen.findByRole("table", { name: "Workspaces" });
    const running = within(table).getByRole("row", { name: /dotnet8-webapi-3fa2c1/ });
    const stopped = within(table).getByRole("row", { name: /dotnet9-console-0a0b0c/ });
    expect(within(running).getByRole("link", { name: "dotnet8-webapi-3fa2c1" })).toHaveAttribute(
      "href",
      "/workspaces/dotnet8-webapi-3fa2c1",
    );
    expect(running).toHaveTextContent("claude-desktop");
    expect(running).toHaveTextContent("5000");
    expect(running).toHaveTextContent("300 MiB");
    expect(running).toHaveTextContent("2 min");
    expect(stopped).toHaveTextContent("after idling");
    expect(await screen.findByText(/Live: new workspaces appear/)).toBeInTheDocument();
  });

  it("cleans up all workspaces only after a confirmation", async () => {
    const calls = mockApi({
      "GET /workspaces": [workspace()],
      "GET /activity/stream": () => openStream(),
      "POST /workspaces/cleanup": { cleaned: 1 },
    });
    renderWithProviders(<WorkspacesPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Clean up all" }));

    const dialog = screen.getByRole("alertdialog", { name: "Clean up every workspace?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(calls.some((call) => call.method === "POST")).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Clean up all" }));

    expect(await screen.findByText("Cleaned up 1 workspace.")).toBeInTheDocument();
    expect(calls.filter((call) => call.method === "POST").map((call) => call.path)).toEqual(["/workspaces/cleanup"]);
  });

  it("says what a workspace is when there is none yet", async () => {
    mockApi({ "GET /workspaces": [], "GET /activity/stream": () => openStream() });
    renderWithProviders(<WorkspacesPage />);
    expect(await screen.findByText("No workspaces yet")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Clean up all" })).toBeDisabled();
  });
});
