import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { Tabs } from "./Tabs";

const TABS = [
  { id: "tools", label: "Tools", content: <p>tools panel</p> },
  { id: "secrets", label: "Secrets", content: <p>secrets panel</p> },
  { id: "logs", label: "Logs", content: <p>logs panel</p>, disabled: true },
  { id: "settings", label: "Settings", content: <p>settings panel</p> },
];

describe("Tabs", () => {
  it("lets Tab reach only the selected tab (roving tabindex)", async () => {
    const user = userEvent.setup();
    render(
      <>
        <button>before</button>
        <Tabs label="Server" tabs={TABS} defaultSelected="secrets" />
      </>,
    );

    await user.click(screen.getByRole("button", { name: "before" }));
    await user.tab();

    expect(screen.getByRole("tab", { name: "Secrets" })).toHaveFocus();
    expect(screen.getByRole("tab", { name: "Tools" })).toHaveAttribute("tabindex", "-1");
    await user.tab();
    expect(screen.getByRole("tabpanel")).toHaveFocus();
  });

  it("moves and selects with the arrow keys, skipping disabled tabs and wrapping", async () => {
    const user = userEvent.setup();
    const onSelect = vi.fn();
    render(<Tabs label="Server" tabs={TABS} onSelect={onSelect} />);

    await user.click(screen.getByRole("tab", { name: "Tools" }));
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Secrets" })).toHaveFocus();
    expect(screen.getByRole("tabpanel")).toHaveTextContent("secrets panel");

    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Settings" })).toHaveFocus();
    expect(screen.getByRole("tab", { name: "Settings" })).toHaveAttribute("aria-selected", "true");

    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Tools" })).toHaveFocus();

    await user.keyboard("{ArrowLeft}");
    expect(screen.getByRole("tab", { name: "Settings" })).toHaveFocus();
    expect(onSelect.mock.calls.map(([id]) => id as string)).toEqual(["tools", "secrets", "settings", "tools", "settings"]);
  });

  it("jumps to the first and last tab with Home and End", async () => {
    const user = userEvent.setup();
    render(<Tabs label="Server" tabs={TABS} defaultSelected="secrets" />);

    await user.click(screen.getByRole("tab", { name: "Secrets" }));
    await user.keyboard("{End}");
    expect(screen.getByRole("tab", { name: "Settings" })).toHaveFocus();
    await user.keyboard("{Home}");
    expect(screen.getByRole("tab", { name: "Tools" })).toHaveFocus();
    expect(screen.getByRole("tabpanel", { name: "Tools" })).toHaveTextContent("tools panel");
  });
});
