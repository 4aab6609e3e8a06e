import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockApi, page, renderWithProviders } from "../servers/testing/apiMock";
import { request, tool } from "../servers/testing/fixtures";
import { ApprovalsPage } from "./ApprovalsPage";

afterEach(() => vi.unstubAllGlobals());

function renderAt(path: string) {
  renderWithProviders(
    <Routes>
      <Route path="/approvals" element={<ApprovalsPage />} />
      <Route path="/approvals/:queue" element={<ApprovalsPage />} />
    </Routes>,
    path,
  );
}

const REVIEWS = [
  { tool: tool(), base_version: null, diff: "@@ -0,0 +1 @@\n+def main(): ...\n" },
  { tool: tool({ id: 8, name: "forecast" }), base_version: null, diff: "@@ -0,0 +1 @@\n+def main(): ...\n" },
];

describe("ApprovalsPage", () => {
  it("approves the selected tools in one bulk request and reports the ones that failed", async () => {
    const calls = mockApi({
      "GET /approvals/tools": page(REVIEWS),
      "GET /approvals/modules": page([]),
      "GET /approvals/network": page([]),
      "GET /servers/weather/tools/current/versions": page([]),
      "GET /servers/weather/tools/forecast/versions": page([]),
      "POST /approvals/bulk": [
        { index: 0, ok: true, status: "approved" },
        { index: 1, ok: false, error_type: "conflict", message: "the tool is not pending review" },
      ],
    });
    renderAt("/approvals");
    await userEvent.click(await screen.findByRole("checkbox", { name: "Select weather / current" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "Select weather / forecast" }));
    expect(screen.getByText("2 selected")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Approve selected" }));
    expect(await screen.findByText("weather / forecast: the tool is not pending review")).toBeInTheDocument();
    expect(calls.find((call) => call.path === "/approvals/bulk")?.body).toEqual({
      items: [
        { kind: "tool", action: "approve", server: "weather", tool: "current" },
        { kind: "tool", action: "approve", server: "weather", tool: "forecast" },
      ],
    });
    expect(screen.getByText("0 selected")).toBeInTheDocument();
  });

  it("rejects every selected request with one reason", async () => {
    const calls = mockApi({
      "GET /approvals/tools": page([]),
      "GET /approvals/modules": page([request(), request({ id: 12, module: "yaml", server: null, requested_by: "admin" })]),
      "GET /approvals/modules/installs": page([]),
      "GET /approvals/network": page([]),
      "POST /approvals/bulk": [
        { index: 0, ok: true, status: "rejected" },
        { index: 1, ok: true, status: "rejected" },
      ],
    });
    renderAt("/approvals/modules");
    const table = await screen.findByRole("table", { name: "Pending module requests" });
    expect(within(table).getByText("all servers")).toBeInTheDocument();
    expect(within(table).getByText("added by admin")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("checkbox", { name: "Select all module requests" }));
    await userEvent.click(screen.getByRole("button", { name: "Reject selected" }));
    const dialog = screen.getByRole("dialog", { name: "Reject 2 module requests" });
    await userEvent.type(within(dialog).getByLabelText(/Reason/), "not needed");
    await userEvent.click(within(dialog).getByRole("button", { name: "Reject" }));
    await waitFor(() => expect(screen.getByText("2 decided.")).toBeInTheDocument());
    expect(calls.find((call) => call.path === "/approvals/bulk")?.body).toEqual({
      items: [
        { kind: "module", action: "reject", id: 11, note: "not needed" },
        { kind: "module", action: "reject", id: 12, note: "not needed" },
      ],
    });
  });

  it("says what happens next when nothing waits", async () => {
    mockApi({
      "GET /approvals/tools": page([]),
      "GET /approvals/modules": page([]),
      "GET /approvals/network": page([]),
    });
    renderAt("/approvals");
    expect(await screen.findByRole("heading", { name: "No tools waiting for review" })).toBeInTheDocument();
  });
});
