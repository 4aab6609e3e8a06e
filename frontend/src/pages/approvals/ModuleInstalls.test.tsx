import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockApi, page, renderWithProviders } from "../servers/testing/apiMock";
import { request } from "../servers/testing/fixtures";
import { ModuleInstalls } from "./ModuleInstalls";

afterEach(() => vi.unstubAllGlobals());

const DECIDED = { status: "approved" as const, decided_at: "2026-12-06T07:00:00Z", package: "polydates" };

describe("ModuleInstalls", () => {
  it("shows each install's state and retries a failed one with the package the admin names", async () => {
    const calls = mockApi({
      "GET /approvals/modules/installs": page([
        request({ ...DECIDED, id: 1, module: "yaml", package: "pyyaml", installed_version: "6.0.2" }),
        request({ ...DECIDED, id: 2, module: "ujson", status: "installing" }),
        request({
          ...DECIDED,
          id: 3,
          module: "dateutil",
          package: "dateutil",
          status: "install_failed",
          install_error: "pip could not install dateutil: No matching distribution found for dateutil",
        }),
      ]),
      "POST /approvals/module/3/install": request({ ...DECIDED, id: 3, status: "installing" }),
    });
    renderWithProviders(<ModuleInstalls />);
    const table = await screen.findByRole("table", { name: "Module installs" });
    const rows = within(table).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("installed 6.0.2");
    expect(rows[2]).toHaveTextContent("installing…");
    expect(rows[3]).toHaveTextContent("No matching distribution found for dateutil");

    await userEvent.click(screen.getByRole("button", { name: "Retry installing dateutil" }));
    const dialog = screen.getByRole("dialog", { name: "Retry installing dateutil" });
    const field = within(dialog).getByLabelText("Package");
    await userEvent.clear(field);
    await userEvent.type(field, "python-dateutil");
    await userEvent.click(within(dialog).getByRole("button", { name: "Install" }));
    expect(calls.find((call) => call.method === "POST")?.body).toEqual({ package: "python-dateutil" });
  });
});
