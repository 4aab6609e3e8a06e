/** The activity log in words: what an action was done to, and its details as a readable line. */
import type { ActivityOut } from "../api/types";

/** A detail value in words: lists joined by commas, objects as "key value" pairs. */
function readable(value: unknown): string {
  if (Array.isArray(value)) return value.map(readable).join(", ");
  if (typeof value === "object" && value !== null) {
    return Object.entries(value)
      .map(([key, inner]) => `${key.replaceAll("_", " ")} ${readable(inner)}`)
      .join(", ");
  }
  return String(value);
}

/** An action's details as a readable line ("module: yaml · version: 2.1"), empty values left out. */
export function summary(details: Record<string, unknown>): string {
  const text = Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([key, value]) => `${key.replaceAll("_", " ")}: ${readable(value)}`)
    .join(" · ");
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** What an action was done to: its kind and current name ("tool weather__current"), else its id. */
export function targetLabel(row: ActivityOut): string {
  const kind = row.target_kind?.replaceAll("_", " ");
  return [kind, row.target_name ?? row.target_id].filter(Boolean).join(" ") || "–";
}
