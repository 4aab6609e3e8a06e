import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { DiscoverTools } from "./DiscoverTools";
import { mockApi, renderWithProviders } from "./testing/apiMock";
import { tool } from "./testing/fixtures";

afterEach(() => vi.unstubAllGlobals());

function remote(name: string, imported: boolean) {
  return { remote_name: name, local_name: name, description: "", input_schema: {}, output_schema: null, imported };
}

describe("DiscoverTools", () => {
  it("imports the chosen tools and keeps already imported ones out of the choice", async () => {
    const calls = mockApi({
      "GET /servers/weather/external-sources/other/tools": { source: "other", tools: [remote("search", false), remote("fetch", true)] },
      "POST /servers/weather/external-sources/other/import": { source: "other", tools: [tool({ name: "search" })] },
    });
    renderWithProviders(<DiscoverTools server="weather" source="other" />);
    const fetchBox = await screen.findByRole("checkbox", { name: /fetch/ });
    expect(fetchBox).toBeDisabled();
    expect(fetchBox).toBeChecked();
    const importButton = screen.getByRole("button", { name: "Import selected" });
    expect(importButton).toBeDisabled();

    await userEvent.click(screen.getByRole("checkbox", { name: /search/ }));
    await userEvent.click(importButton);
    expect(await screen.findByRole("status")).toHaveTextContent("1 imported. They wait for your review in Approvals.");
    await waitFor(() => expect(calls.some((call) => call.path.endsWith("/import"))).toBe(true));
    expect(calls.find((call) => call.path.endsWith("/import"))?.body).toEqual({ tools: ["search"] });
  });
});
