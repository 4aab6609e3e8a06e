/** Export (a signed JSON download) and import of servers (H2). */
import { api } from "./client";
import type { components } from "./schema.gen";
import { useForgeMutation } from "./servers";

export type ImportResult = components["schemas"]["ImportResult"];

function filenameOf(response: Response, fallback: string): string {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "");
  return match?.[1] ?? fallback;
}

/**
 * Download the export of one server (or all of them) as a file. The request carries the bearer
 * token, so it goes through the API client and reaches the browser as a Blob.
 */
export async function downloadExport(server?: string): Promise<void> {
  const response = await api.stream("/export", { query: { server } });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filenameOf(response, `polybox-${server ?? "all"}.json`);
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

/** Import an export document (already parsed); `trust` accepts one from another instance. */
export function useImportServers() {
  return useForgeMutation(({ document, trust }: { document: unknown; trust: boolean }) =>
    api.post<ImportResult>("/import", document, { query: { trust } }),
  );
}
