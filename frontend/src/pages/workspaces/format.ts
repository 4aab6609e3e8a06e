/** How workspace numbers read: sizes, durations, why a workspace stopped. */
import type { WorkspaceOut } from "../../api/types";

/** Bytes in binary units, e.g. "312 MiB" ("–" when unknown, as for a stopped workspace). */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Seconds as people read them: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** CPU time used so far ("–" when unknown). */
export function formatCpu(seconds: number | null): string {
  return seconds === null ? "–" : seconds < 10 ? `${seconds.toFixed(1)} s` : formatSeconds(seconds);
}

const REASONS: Record<string, string> = {
  client: "by its owner",
  admin: "by an admin",
  idle: "after idling",
  restart: "when polybox restarted",
  limit: "at a limit",
};

/** Why a workspace is no longer running, e.g. "by an admin" ("" while running). */
export function stopReason(workspace: WorkspaceOut): string {
  return workspace.stop_reason ? (REASONS[workspace.stop_reason] ?? workspace.stop_reason) : "";
}
