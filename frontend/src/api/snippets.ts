/** The record of C# snippet runs: who ran what, on which .NET, how it ended; the code while kept. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api } from "./client";
import type { Page, SnippetRunOut } from "./types";

export const snippetKeys = {
  page: (page: number, pageSize: number) => ["snippets", "page", page, pageSize] as const,
  run: (id: string) => ["snippets", "run", id] as const,
};

/** One page of the runs, newest first. */
export function useSnippetRuns(page: number, pageSize = 50) {
  return useQuery({
    queryKey: snippetKeys.page(page, pageSize),
    queryFn: ({ signal }) =>
      api.get<Page<SnippetRunOut>>("/dotnet/snippets", { signal, query: { page, page_size: pageSize } }),
    placeholderData: keepPreviousData,
  });
}

export function useSnippetRun(id: string) {
  return useQuery({
    queryKey: snippetKeys.run(id),
    queryFn: ({ signal }) => api.get<SnippetRunOut>(`/dotnet/snippets/${encodeURIComponent(id)}`, { signal }),
  });
}
