import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { type Call, mockApi, page, renderWithProviders } from "./testing/apiMock";
import { tool, version } from "./testing/fixtures";
import { defaultPair, VersionHistory } from "./VersionHistory";

afterEach(() => vi.unstubAllGlobals());

const VERSIONS = [
  version(3, { is_current: true }),
  version(2),
  version(1, { is_approved: true, author: "admin" }),
];

function diff(from: string, to: string) {
  return { server: "weather", tool: "current", from_version: Number(from), to_version: Number(to), diff: `@@ -1 +1 @@\n-code v${from}\n+code v${to}\n` };
}

describe("defaultPair", () => {
  it("compares the approved version with the current one", () => {
    expect(defaultPair(VERSIONS)).toEqual({ from: 1, to: 3 });
  });

  it("falls back to the version before the current one when none is approved", () => {
    expect(defaultPair([version(3, { is_current: true }), version(2), version(1)])).toEqual({ from: 2, to: 3 });
  });

  it("has nothing to compare without versions", () => {
    expect(defaultPair([])).toEqual({ from: null, to: null });
  });
});

describe("VersionHistory", () => {
  function setup() {
    const calls = mockApi({
      "GET /servers/weather/tools/current/versions": page(VERSIONS),
      "GET /servers/weather/tools/current/diff": (call: Call) => diff(call.query.get("from") ?? "", call.query.get("to") ?? ""),
      "POST /servers/weather/tools/current/rollback": tool({ current_version: 4 }),
    });
    renderWithProviders(<VersionHistory server="weather" tool={tool({ approved_version: 1 })} />);
    return calls;
  }

  it("shows the diff between the two chosen versions side by side", async () => {
    setup();
    expect(await screen.findByRole("region", { name: "Changes from v1 to v3" })).toHaveTextContent("code v3");
    await userEvent.selectOptions(screen.getByLabelText("Compare from"), "2");
    const region = await screen.findByRole("region", { name: "Changes from v2 to v3" });
    expect(region).toHaveTextContent("code v2");
    await userEvent.selectOptions(screen.getByLabelText("to"), "2");
    expect(screen.getByText("Choose two different versions to see what changed.")).toBeInTheDocument();
  });

  it("rolls back only after the confirmation", async () => {
    const calls = setup();
    await userEvent.click(await screen.findByRole("button", { name: "Roll back to version 1" }));
    const dialog = screen.getByRole("alertdialog", { name: "Roll back current to version 1?" });
    expect(calls.some((call) => call.path.endsWith("/rollback"))).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Roll back" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    expect(calls.find((call) => call.path.endsWith("/rollback"))?.body).toEqual({ version: 1 });
  });

  it("offers no rollback to the current version", async () => {
    setup();
    await screen.findByRole("button", { name: "Roll back to version 1" });
    expect(screen.queryByRole("button", { name: "Roll back to version 3" })).not.toBeInTheDocument();
  });
});
