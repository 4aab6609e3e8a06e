import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { PowerButton } from "./PowerButton";
import { mockApi, renderWithProviders } from "./testing/apiMock";
import { server } from "./testing/fixtures";

afterEach(() => vi.unstubAllGlobals());

describe("PowerButton", () => {
  it("starts a stopped server and stops a running one", async () => {
    const calls = mockApi({
      "POST /servers/weather/start": server({ status: "running" }),
      "POST /servers/weather/stop": server({ status: "stopped" }),
    });
    const { unmount } = renderWithProviders(<PowerButton server={server({ status: "stopped" })} />);
    await userEvent.click(screen.getByRole("button", { name: "Start server" }));
    unmount();
    renderWithProviders(<PowerButton server={server({ status: "running" })} />);
    await userEvent.click(screen.getByRole("button", { name: "Stop server" }));
    await vi.waitFor(() =>
      expect(calls.filter((call) => call.method === "POST").map((call) => call.path)).toEqual([
        "/servers/weather/start",
        "/servers/weather/stop",
      ]),
    );
  });
});
