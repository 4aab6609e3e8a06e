import { cx } from "./cx";

export type Tone = "neutral" | "success" | "warning" | "danger" | "info";

export function Badge({ tone = "neutral", children }: { tone?: Tone; children: React.ReactNode }) {
  return <span className={cx("badge", `badge-${tone}`)}>{children}</span>;
}

const STATUS_TONES: Record<string, Tone> = {
  approved: "success",
  running: "success",
  ok: "success",
  enabled: "success",
  pending: "warning",
  pending_review: "warning",
  draft: "info",
  stopped: "neutral",
  disabled: "neutral",
  revoked: "neutral",
  rejected: "danger",
  installing: "info",
  install_failed: "danger",
  error: "danger",
  timeout: "danger",
  compile_error: "danger",
  restore_error: "danger",
  runtime_error: "danger",
  limit: "danger",
  refused: "warning",
};

/** A status value (tool, server, request, call) as a coloured badge with readable words. */
export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONES[status] ?? "neutral"}>{status.replaceAll("_", " ")}</Badge>;
}
