/** A timestamp from the API in the reader's locale, e.g. "21/11/2026, 05:31:22". */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** A duration in milliseconds as people read it: "12 ms", "1.4 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
