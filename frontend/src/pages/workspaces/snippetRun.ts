/** Where a snippet run's page is, and how its code hash reads in a list. */

export function snippetRunPath(id: number | string): string {
  return `/dotnet/snippets/${encodeURIComponent(id)}`;
}

/** The first 12 hex digits of a SHA-256: enough to tell runs apart, short enough for a table. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
