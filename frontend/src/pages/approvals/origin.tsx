import { Badge } from "../../components/Badge";

const ORIGINS: Record<string, { text: string; tone: "info" | "neutral" }> = {
  llm: { text: "requested by LLM", tone: "info" },
  admin: { text: "added by admin", tone: "neutral" },
  import: { text: "imported", tone: "neutral" },
  rollback: { text: "rolled back by admin", tone: "neutral" },
};

/** Who asked for this: an LLM over MCP, or an admin (a version's author or a request's requester). */
export function OriginBadge({ by }: { by: string }) {
  const origin = ORIGINS[by] ?? { text: by, tone: "neutral" as const };
  return <Badge tone={origin.tone}>{origin.text}</Badge>;
}
