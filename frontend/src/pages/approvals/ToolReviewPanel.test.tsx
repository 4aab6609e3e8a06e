import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockApi, page, renderWithProviders } from "../servers/testing/apiMock";
import { tool, version } from "../servers/testing/fixtures";
import { ToolReviewPanel } from "./ToolReviewPanel";

afterEach(() => vi.unstubAllGlobals());

const DIFF = "--- v1\n+++ v3\n@@ -1,2 +1,2 @@\n def main(city: str) -> str:\n-    return city\n+    return city.upper()\n";

function renderPanel() {
  const onSelectedChange = vi.fn();
  renderWithProviders(
    <ToolReviewPanel
      review={{ tool: tool(), base_version: 1, diff: DIFF }}
      selected={false}
      onSelectedChange={onSelectedChange}
    />,
  );
  return { panel: screen.getByRole("region", { name: "weather / current" }), onSelectedChange };
}

describe("ToolReviewPanel", () => {
  it("shows the diff since the approved version next to Approve and Reject, and who wrote it", async () => {
    mockApi({
      "GET /servers/weather/tools/current/versions": page([version(3, { is_current: true }), version(1, { author: "admin", is_approved: true })]),
    });
    const { panel } = renderPanel();
    expect(within(panel).getByRole("region", { name: "Changes from v1 (approved) to v3 (to review)" })).toHaveTextContent(
      "return city.upper()",
    );
    expect(within(panel).getByRole("button", { name: "Approve" })).toBeEnabled();
    expect(within(panel).getByRole("button", { name: "Reject" })).toBeEnabled();
    expect(await within(panel).findByText("requested by LLM")).toBeInTheDocument();
  });

  it("says the tool was added by an admin when an admin wrote its current version", async () => {
    mockApi({ "GET /servers/weather/tools/current/versions": page([version(3, { author: "admin", is_current: true })]) });
    const { panel } = renderPanel();
    expect(await within(panel).findByText("added by admin")).toBeInTheDocument();
    expect(within(panel).queryByText("requested by LLM")).not.toBeInTheDocument();
  });

  it("approves the tool with one click", async () => {
    const calls = mockApi({
      "GET /servers/weather/tools/current/versions": page([]),
      "POST /approvals/tools/weather/current/approve": tool({ status: "approved" }),
    });
    const { panel } = renderPanel();
    await userEvent.click(within(panel).getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(calls.some((call) => call.path.endsWith("/approve"))).toBe(true));
    expect(calls.find((call) => call.path.endsWith("/approve"))?.body).toEqual({ note: null });
  });

  it("asks for a reason before rejecting and sends it", async () => {
    const calls = mockApi({
      "GET /servers/weather/tools/current/versions": page([]),
      "POST /approvals/tools/weather/current/reject": tool({ status: "rejected" }),
    });
    const { panel } = renderPanel();
    await userEvent.click(within(panel).getByRole("button", { name: "Reject" }));
    const dialog = screen.getByRole("dialog", { name: "Reject weather / current" });
    const confirm = within(dialog).getByRole("button", { name: "Reject" });
    expect(confirm).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/Reason/), "use HTTPS");
    await userEvent.click(confirm);
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(calls.find((call) => call.path.endsWith("/reject"))?.body).toEqual({ reason: "use HTTPS" });
  });

  it("shows the API's message when the approval is refused", async () => {
    mockApi({
      "GET /servers/weather/tools/current/versions": page([]),
      "POST /approvals/tools/weather/current/approve": new Response(
        JSON.stringify({ error: { type: "conflict", message: "the tool imports httpx, which is not allowed" } }),
        { status: 409 },
      ),
    });
    const { panel } = renderPanel();
    await userEvent.click(within(panel).getByRole("button", { name: "Approve" }));
    expect(await within(panel).findByRole("alert")).toHaveTextContent("The tool imports httpx, which is not allowed");
  });
});
