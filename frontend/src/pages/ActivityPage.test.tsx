import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { ActivityOut } from "../api/types";
import { ActivityPage } from "./ActivityPage";
import { mockApi, page, renderWithProviders } from "./servers/testing/apiMock";
import { openStream } from "./workspaces/testing/fixtures";

afterEach(() => vi.unstubAllGlobals());

const ROW: ActivityOut = {
  id: 2,
  actor_kind: "llm",
  actor_name: "claude-desktop",
  action: "dotnet.snippet_run",
  target_kind: "snippet_run",
  target_id: "42",
  target_name: null,
  details: { version: "8", outcome: "ok" },
  created_at: "2026-12-06T08:00:00Z",
};

describe("ActivityPage", () => {
  it("links a snippet run to its page, and leaves other targets as text", async () => {
    mockApi({
      "GET /activity": page([ROW, { ...ROW, id: 1, action: "tool.approved", target_kind: "tool", target_id: "21", target_name: "weather__current" }]),
      "GET /activity/stream": () => openStream(": following\n\n"),
    });
    renderWithProviders(<ActivityPage />, "/activity");
    const table = await screen.findByRole("table", { name: "Activity, newest first" });
    const run = within(table).getByRole("row", { name: /dotnet\.snippet_run/ });
    expect(within(run).getByRole("link", { name: "snippet run 42" })).toHaveAttribute("href", "/dotnet/snippets/42");
    const tool = within(table).getByRole("row", { name: /tool\.approved/ });
    expect(within(tool).queryByRole("link")).not.toBeInTheDocument();
    expect(tool).toHaveTextContent("tool weather__current");
  });
});
