/** Admin accounts: list, add, disable (never yourself: the API answers 409). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "./client";
import type { AdminOut, Credentials, Page } from "./types";

export const adminKeys = { all: ["admins"] as const };

export function useAdmins() {
  return useQuery({
    queryKey: adminKeys.all,
    queryFn: ({ signal }) =>
      api.get<Page<AdminOut>>("/admins", { signal, query: { page_size: 200 } }),
  });
}

export function useCreateAdmin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (credentials: Credentials) => api.post<AdminOut>("/admins", credentials),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminKeys.all }),
  });
}

export function useDisableAdmin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.post<AdminOut>(`/admins/${id}/disable`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminKeys.all }),
  });
}
