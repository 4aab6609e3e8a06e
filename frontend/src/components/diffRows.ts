/** Turn a unified diff (or two texts) into the rows of a side-by-side view. */
import { parsePatch, structuredPatch, type StructuredPatchHunk } from "diff";

export interface DiffCell {
  number: number;
  text: string;
  kind: "context" | "removed" | "added";
}

export type DiffRow =
  | { kind: "hunk"; header: string }
  | { kind: "line"; left: DiffCell | null; right: DiffCell | null };

/**
 * Rows for the hunks: context lines on both sides; a run of removed lines is paired with the
 * run of added lines that follows it, row by row, the longer run's rest against blank cells.
 */
export function rowsFromHunks(hunks: StructuredPatchHunk[]): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const hunk of hunks) {
    rows.push({
      kind: "hunk",
      header: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`,
    });
    let oldNumber = hunk.oldStart;
    let newNumber = hunk.newStart;
    let removed: DiffCell[] = [];
    let added: DiffCell[] = [];
    const flush = () => {
      for (let i = 0; i < Math.max(removed.length, added.length); i++) {
        rows.push({ kind: "line", left: removed[i] ?? null, right: added[i] ?? null });
      }
      removed = [];
      added = [];
    };
    for (const line of hunk.lines) {
      const mark = line[0];
      const text = line.slice(1);
      if (mark === "-") {
        if (added.length > 0) flush();
        removed.push({ number: oldNumber++, text, kind: "removed" });
      } else if (mark === "+") {
        added.push({ number: newNumber++, text, kind: "added" });
      } else if (mark === " ") {
        flush();
        rows.push({
          kind: "line",
          left: { number: oldNumber++, text, kind: "context" },
          right: { number: newNumber++, text, kind: "context" },
        });
      }
      // "\ No newline at end of file" says nothing a reader needs here
    }
    flush();
  }
  return rows;
}

/** Rows from a unified diff text as the API returns it ("" gives no rows). */
export function rowsFromPatch(patch: string): DiffRow[] {
  if (!patch.trim()) return [];
  return rowsFromHunks(parsePatch(patch).flatMap((file) => file.hunks));
}

/** Rows from two texts, with `context` unchanged lines around each change. */
export function rowsFromTexts(oldText: string, newText: string, context = 3): DiffRow[] {
  return rowsFromHunks(structuredPatch("old", "new", oldText, newText, "", "", { context }).hunks);
}
