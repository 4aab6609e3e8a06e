import type { ServerOut } from "../../api/types";

const ORDER = [
  ["approved", "approved"],
  ["pending_review", "pending review"],
  ["draft", "draft"],
  ["rejected", "rejected"],
] as const;

/** "3 approved · 1 pending review": the non-zero counts of a server's tools by state. */
export function ToolCounts({ counts }: { counts: ServerOut["tool_counts"] }) {
  const parts = ORDER.filter(([key]) => (counts[key] ?? 0) > 0).map(([key, label]) => `${counts[key]} ${label}`);
  return <span className="tool-counts">{parts.length > 0 ? parts.join(" · ") : "no tools"}</span>;
}
