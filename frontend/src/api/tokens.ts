/** API tokens for MCP clients: list, create (the token is in the answer once), revoke. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "./client";
import type { ApiTokenCreated, ApiTokenIn, ApiTokenOut, Page } from "./types";

export const tokenKeys = {
  all: ["tokens"] as const,
  list: (revoked: boolean | null) => ["tokens", { revoked }] as const,
};

export function useTokens(revoked: boolean | null = null) {
  return useQuery({
    queryKey: tokenKeys.list(revoked),
    queryFn: ({ signal }) =>
      api.get<Page<ApiTokenOut>>("/tokens", {
        signal,
        query: { revoked, page_size: 200, sort: "-created_at" },
      }),
  });
}

export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ApiTokenIn) => api.post<ApiTokenCreated>("/tokens", input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}

export function useRevokeToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.post<ApiTokenOut>(`/tokens/${id}/revoke`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}
