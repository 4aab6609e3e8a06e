import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockApi, renderWithProviders } from "./testing/apiMock";
import { ImportDialog } from "./TransferControls";

afterEach(() => vi.unstubAllGlobals());

const RESULT = {
  same_instance: false,
  servers: [{ id: 2, name: "weather", status: "stopped", tools: { current: "pending_review" }, versions: 1, secrets_to_set: ["WEATHER_KEY"] }],
};

function file(text: string) {
  return new File([text], "export.json", { type: "application/json" });
}

describe("ImportDialog", () => {
  it("sends the file's document with trust when it is ticked, and says what to do next", async () => {
    const calls = mockApi({ "POST /import": RESULT });
    renderWithProviders(<ImportDialog open onClose={() => undefined} />);
    const dialog = screen.getByRole("dialog", { name: "Import servers" });
    await userEvent.upload(within(dialog).getByLabelText("Export file"), file('{"format": 1}'));
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /Trust a file/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Import" }));

    expect(await within(dialog).findByRole("status")).toHaveTextContent(
      "Imported weather. Its tools wait for your review in Approvals. Secret values are not exported: set weather: WEATHER_KEY.",
    );
    const sent = calls.find((call) => call.path === "/import");
    expect(sent?.body).toEqual({ format: 1 });
    expect(sent?.query.get("trust")).toBe("true");
  });

  it("refuses a file that is not JSON before sending anything", async () => {
    const calls = mockApi({});
    renderWithProviders(<ImportDialog open onClose={() => undefined} />);
    const dialog = screen.getByRole("dialog", { name: "Import servers" });
    await userEvent.upload(within(dialog).getByLabelText("Export file"), file("not json"));
    await userEvent.click(within(dialog).getByRole("button", { name: "Import" }));

    expect(await within(dialog).findByRole("alert")).toHaveTextContent("The file export.json is not an export file");
    expect(calls).toHaveLength(0);
  });
});
