import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { log } from "./testing/fixtures";
import { LogTable } from "./LogRows";

const FAILED = log({
  id: 22,
  status: "error",
  stdout: "fetching Paris",
  error: { type: "ValueError", message: "bad city", line: 4, traceback: "Traceback (most recent call last):\n  line 4" },
  duration_ms: 1500,
});

describe("LogTable", () => {
  it("lists each call's tool, status and duration", () => {
    render(<LogTable logs={[log(), FAILED]} caption="Logs" />);
    const rows = screen.getAllByRole("row");
    expect(rows[1]).toHaveTextContent(/current.*ok.*12 ms/);
    expect(rows[2]).toHaveTextContent(/current.*error.*1\.5 s/);
  });

  it("expands a row to its output and error detail, and collapses it again", async () => {
    render(<LogTable logs={[log(), FAILED]} caption="Logs" />);
    const second = screen.getAllByRole("button", { name: /Details of the current call/ })[1];
    if (!second) throw new Error("no second row");
    expect(second).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByText("fetching Paris")).not.toBeInTheDocument();

    await userEvent.click(second);
    expect(second).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByRole("region", { name: "Output" })).toHaveTextContent("fetching Paris");
    expect(screen.getByText("ValueError")).toBeInTheDocument();
    expect(screen.getByText(/bad city \(line 4\)/)).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Traceback" })).toHaveTextContent("most recent call last");
    expect(screen.getAllByRole("region", { name: "Output" })).toHaveLength(1);

    await userEvent.click(second);
    expect(screen.queryByText("fetching Paris")).not.toBeInTheDocument();
  });
});
