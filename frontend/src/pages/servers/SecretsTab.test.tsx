import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { SecretOut } from "../../api/types";
import { SecretsTab } from "./SecretsTab";
import { mockApi, page, renderWithProviders } from "./testing/apiMock";

afterEach(() => vi.unstubAllGlobals());

function secret(key: string, raw: boolean): SecretOut {
  return { key, description: "", has_value: true, raw, updated_at: "2026-12-06T07:00:00Z" };
}

describe("SecretsTab raw secrets", () => {
  it("marks a raw secret next to its value state, and only that one", async () => {
    mockApi({ "GET /servers/weather/secrets": page([secret("API_KEY", false), secret("SIGNING_KEY", true)]) });
    renderWithProviders(<SecretsTab server="weather" />);
    const badges = await screen.findAllByText("raw: approved code sees the value");
    expect(badges).toHaveLength(1);
    expect(badges[0]?.closest("tr")).toHaveTextContent("SIGNING_KEY");
  });

  it("sends the raw choice with a new value", async () => {
    const calls = mockApi({
      "GET /servers/weather/secrets": page([secret("API_KEY", false)]),
      "PUT /servers/weather/secrets/API_KEY": secret("API_KEY", true),
    });
    renderWithProviders(<SecretsTab server="weather" />);
    await userEvent.type(await screen.findByLabelText("Value for API_KEY"), "v4lue");
    await userEvent.click(screen.getByRole("checkbox", { name: "Raw: approved code sees the value" }));
    await userEvent.click(screen.getByRole("button", { name: "Replace value" }));
    await vi.waitFor(() => expect(calls.some((call) => call.method === "PUT")).toBe(true));
    expect(calls.find((call) => call.method === "PUT")?.body).toEqual({ value: "v4lue", raw: true });
  });
});
