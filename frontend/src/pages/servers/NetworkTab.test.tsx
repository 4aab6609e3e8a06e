import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { NetworkTab } from "./NetworkTab";
import { mockApi, page, renderWithProviders } from "./testing/apiMock";
import { server } from "./testing/fixtures";

afterEach(() => vi.unstubAllGlobals());

describe("NetworkTab", () => {
  it("allows a host on the private network in one step, marking it private for the API", async () => {
    const calls = mockApi({
      "GET /approvals/modules": page([]),
      "GET /approvals/network": page([]),
      "PUT /servers/weather/allowed-hosts": server({ allowed_hosts: ["api.example.com", "nas.lan:5000"] }),
    });
    renderWithProviders(<NetworkTab server={server({ allowed_hosts: ["api.example.com"] })} />);
    const hosts = screen.getByRole("region", { name: "Allowed hosts" });
    await userEvent.type(within(hosts).getByLabelText("Add to allowed hosts"), "nas.lan:5000");
    await userEvent.click(within(hosts).getByLabelText(/On my private network/));
    await userEvent.click(within(hosts).getByRole("button", { name: "Add" }));
    expect(calls.find((call) => call.method === "PUT")?.body).toEqual({
      hosts: ["api.example.com", "nas.lan:5000"],
      private: ["nas.lan:5000"],
    });
  });
});
