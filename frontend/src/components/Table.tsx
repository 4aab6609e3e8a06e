import { cx } from "./cx";

export interface Column<T> {
  /** Unique within the table. */
  key: string;
  header: React.ReactNode;
  render: (row: T) => React.ReactNode;
  align?: "start" | "end";
  className?: string;
}

export interface TableProps<T> {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string | number;
  /** Names the table for screen readers (visually hidden unless `showCaption`). */
  caption: string;
  showCaption?: boolean;
  /** Shown instead of the table when there are no rows (usually an EmptyState). */
  empty?: React.ReactNode;
  /** Marks a row (e.g. the selected one) with aria-selected styling. */
  isSelected?: (row: T) => boolean;
}

/** A data table that scrolls sideways on narrow screens instead of breaking the layout. */
export function Table<T>({ columns, rows, rowKey, caption, showCaption, empty, isSelected }: TableProps<T>) {
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className={showCaption ? "table-caption" : "visually-hidden"}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.key} scope="col" className={cx(column.align === "end" && "align-end", column.className)}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} className={cx(isSelected?.(row) && "row-selected")}>
              {columns.map((column) => (
                <td
                  key={column.key}
                  className={cx(column.align === "end" && "align-end", column.className)}
                  data-label={typeof column.header === "string" ? column.header : undefined}
                >
                  {column.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
