import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { SourceOut } from "../../api/external";
import { ExternalTab } from "./ExternalTab";
import { mockApi, renderWithProviders } from "./testing/apiMock";

afterEach(() => vi.unstubAllGlobals());

function oauthSource(connected: boolean): SourceOut {
  return {
    id: 1,
    server: "weather",
    name: "crm",
    url: "https://crm.example.com/mcp",
    transport: "streamable_http",
    auth_kind: "oauth",
    auth_secret_key: null,
    oauth_connected: connected,
    health: "unknown",
    last_error: null,
    last_checked_at: null,
    created_at: "2026-11-21T05:00:00Z",
    tools: [],
  };
}

describe("ExternalTab OAuth connect", () => {
  it("starts the authorisation and links to the source's sign-in page in a new tab", async () => {
    const calls = mockApi({
      "GET /servers/weather/external-sources": [oauthSource(false)],
      "POST /servers/weather/external-sources/crm/oauth/start": {
        source: "crm",
        authorization_url: "https://auth.example.com/authorize?client_id=abc&state=xyz",
      },
    });
    renderWithProviders(<ExternalTab server="weather" />);
    expect(await screen.findByText(/OAuth, not connected yet/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Connect crm" }));

    const link = await screen.findByRole("link", { name: "Continue to the sign-in page of auth.example.com" });
    expect(link).toHaveAttribute("href", "https://auth.example.com/authorize?client_id=abc&state=xyz");
    expect(link).toHaveAttribute("target", "_blank");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    expect(calls.some((call) => call.path.endsWith("/oauth/start"))).toBe(true);
  });

  it("offers to reconnect a source that is connected already", async () => {
    mockApi({ "GET /servers/weather/external-sources": [oauthSource(true)] });
    renderWithProviders(<ExternalTab server="weather" />);
    expect(await screen.findByRole("button", { name: "Reconnect crm" })).toBeInTheDocument();
    expect(screen.getByText(/OAuth, connected/)).toBeInTheDocument();
  });
});
