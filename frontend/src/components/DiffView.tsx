import { useMemo } from "react";

import { cx } from "./cx";
import { type DiffCell, rowsFromPatch, rowsFromTexts } from "./diffRows";
import { type CodeLanguage, tokenizeLines, Tokens } from "./highlight";

export type DiffViewProps = {
  /** Column titles, e.g. "v2 (approved)" and "v3 (current)". */
  oldLabel?: string;
  newLabel?: string;
  language?: CodeLanguage;
  /** Shown when nothing changed. */
  emptyText?: string;
} & ({ patch: string } | { oldText: string; newText: string });

function Cell({ cell, language, side }: { cell: DiffCell | null; language: CodeLanguage; side: "old" | "new" }) {
  if (!cell) return <td className="diff-cell diff-blank" colSpan={2} />;
  const sign = cell.kind === "removed" ? "−" : cell.kind === "added" ? "+" : " ";
  const change = cell.kind === "removed" ? "removed" : cell.kind === "added" ? "added" : undefined;
  return (
    <>
      <td className={cx("diff-number", `diff-${cell.kind}`)}>
        <span className="visually-hidden">{side === "old" ? "old line" : "new line"} </span>
        {cell.number}
      </td>
      <td className={cx("diff-cell", `diff-${cell.kind}`)}>
        {change && <span className="visually-hidden">{change}: </span>}
        <span className="diff-sign" aria-hidden="true">
          {sign}
        </span>
        <Tokens tokens={tokenizeLines(cell.text, language)[0] ?? []} />
      </td>
    </>
  );
}

/** A side-by-side diff: old on the left, new on the right, changes paired row by row. */
export function DiffView(props: DiffViewProps) {
  const { oldLabel = "Before", newLabel = "After", language = "python", emptyText = "No changes." } = props;
  const source = "patch" in props ? props.patch : null;
  const oldText = "oldText" in props ? props.oldText : null;
  const newText = "newText" in props ? props.newText : null;
  const rows = useMemo(
    () => (source !== null ? rowsFromPatch(source) : rowsFromTexts(oldText ?? "", newText ?? "")),
    [source, oldText, newText],
  );
  if (rows.length === 0) return <p className="diff-empty">{emptyText}</p>;
  return (
    <div className="diff-view" role="region" aria-label={`Changes from ${oldLabel} to ${newLabel}`} tabIndex={0}>
      <table className="diff-table">
        <colgroup>
          <col className="diff-col-number" />
          <col />
          <col className="diff-col-number" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th colSpan={2} scope="colgroup">
              {oldLabel}
            </th>
            <th colSpan={2} scope="colgroup">
              {newLabel}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) =>
            row.kind === "hunk" ? (
              <tr key={index} className="diff-hunk">
                <td colSpan={4}>{row.header}</td>
              </tr>
            ) : (
              <tr key={index}>
                <Cell cell={row.left} language={language} side="old" />
                <Cell cell={row.right} language={language} side="new" />
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}
