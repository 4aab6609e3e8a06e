/** Execution logs of forged-tool calls (H2); a page refreshes every 15 s while shown. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api } from "./client";
import type { ExecutionLogOut, ExecutionStatus, Page } from "./types";

export interface LogFilters {
  server?: string | undefined;
  tool?: string | undefined;
  status?: ExecutionStatus | undefined;
  /** ISO 8601 with a zone, inclusive. */
  since?: string | undefined;
  page?: number;
}

export const logKeys = {
  search: (filters: LogFilters) => ["logs", filters] as const,
};

export function useLogs(filters: LogFilters) {
  return useQuery({
    queryKey: logKeys.search(filters),
    queryFn: ({ signal }) =>
      api.get<Page<ExecutionLogOut>>("/logs", { signal, query: { ...filters, page_size: 50 } }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
}
