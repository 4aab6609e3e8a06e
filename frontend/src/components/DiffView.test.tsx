import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { DiffView } from "./DiffView";
import { rowsFromPatch, rowsFromTexts } from "./diffRows";

const PATCH = `--- a/tool.py
+++ b/tool.py
@@ -1,4 +1,5 @@
 def main(city: str) -> dict:
-    url = "http://old.example"
+    url = "https://new.example"
+    timeout = 5
     return {"city": city}
 # end
`;

describe("side-by-side diff rows", () => {
  it("pairs a removed line with the added line that replaces it and numbers both sides", () => {
    const rows = rowsFromPatch(PATCH);

    expect(rows[0]).toEqual({ kind: "hunk", header: "@@ -1,4 +1,5 @@" });
    expect(rows[2]).toEqual({
      kind: "line",
      left: { number: 2, text: '    url = "http://old.example"', kind: "removed" },
      right: { number: 2, text: '    url = "https://new.example"', kind: "added" },
    });
    expect(rows[3]).toEqual({ kind: "line", left: null, right: { number: 3, text: "    timeout = 5", kind: "added" } });
    expect(rows[4]).toMatchObject({ left: { number: 3, kind: "context" }, right: { number: 4, kind: "context" } });
  });

  it("shows a first version (no base) as added lines only", () => {
    const rows = rowsFromTexts("", "a = 1\nb = 2\n");

    const lines = rows.filter((row) => row.kind === "line");
    expect(lines).toHaveLength(2);
    expect(lines.every((row) => row.left === null && row.right?.kind === "added")).toBe(true);
  });

  it("gives no rows when nothing changed", () => {
    expect(rowsFromPatch("")).toEqual([]);
    expect(rowsFromTexts("same\n", "same\n")).toEqual([]);
  });
});

describe("DiffView", () => {
  it("renders old and new columns with the change marked for screen readers", () => {
    render(<DiffView patch={PATCH} oldLabel="v1 (approved)" newLabel="v2 (current)" />);

    const region = screen.getByRole("region", { name: "Changes from v1 (approved) to v2 (current)" });
    expect(within(region).getByRole("columnheader", { name: "v1 (approved)" })).toBeInTheDocument();
    const removed = within(region).getByText("removed:").closest("td");
    const added = within(region).getAllByText("added:")[0]?.closest("td");
    expect(removed).toHaveTextContent('url = "http://old.example"');
    expect(removed).toHaveClass("diff-removed");
    expect(added).toHaveTextContent('url = "https://new.example"');
    expect(added).toHaveClass("diff-added");
  });

  it("says so when there is no change", () => {
    render(<DiffView oldText={"x = 1\n"} newText={"x = 1\n"} emptyText="Same code as the approved version." />);

    expect(screen.getByText("Same code as the approved version.")).toBeInTheDocument();
  });
});
