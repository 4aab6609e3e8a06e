/** Servers: the list, one server, and the calls that change it (H2). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "./client";
import type { Page, ServerCreate, ServerOut, ServerStatus } from "./types";

/** Every server-scoped query key starts with ["servers"], so one invalidation refreshes them all. */
export const serverKeys = {
  all: ["servers"] as const,
  list: (filters: ServerFilters) => ["servers", "list", filters] as const,
  detail: (name: string) => ["servers", "detail", name] as const,
};

export interface ServerFilters {
  page?: number;
  status?: ServerStatus | undefined;
  name_contains?: string | undefined;
}

export const serverPath = (name: string) => `/servers/${encodeURIComponent(name)}`;

export function useServers(filters: ServerFilters = {}) {
  return useQuery({
    queryKey: serverKeys.list(filters),
    queryFn: ({ signal }) =>
      api.get<Page<ServerOut>>("/servers", { signal, query: { ...filters, sort: "name", page_size: 100 } }),
  });
}

export function useServer(name: string) {
  return useQuery({
    queryKey: serverKeys.detail(name),
    queryFn: ({ signal }) => api.get<ServerOut>(serverPath(name), { signal }),
  });
}

/**
 * A mutation that refreshes what a server change can move: servers, their tools, the approval
 * queues and the dashboard's counts.
 */
export function useForgeMutation<Input, Output>(send: (input: Input) => Promise<Output>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess: async () => {
      await Promise.all(
        [serverKeys.all, ["approvals"], ["dashboard"], ["logs"], ["activity"]].map((queryKey) =>
          queryClient.invalidateQueries({ queryKey }),
        ),
      );
    },
  });
}

export function useCreateServer() {
  return useForgeMutation((body: ServerCreate) => api.post<ServerOut>("/servers", body));
}

export function useUpdateServer(name: string) {
  return useForgeMutation((description: string) => api.patch<ServerOut>(serverPath(name), { description }));
}

/** Delete the server; its cached detail is dropped rather than refetched (it would be a 404). */
export function useDeleteServer(name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete(serverPath(name)),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: serverKeys.detail(name) });
      queryClient.removeQueries({ queryKey: ["servers", "tools", name] });
      for (const queryKey of [serverKeys.all, ["approvals"], ["dashboard"]]) {
        void queryClient.invalidateQueries({ queryKey, refetchType: "active" });
      }
    },
  });
}

/** Start (expose the tools) or stop (withdraw them). */
export function useServerPower(name: string) {
  return useForgeMutation((action: "start" | "stop") => api.post<ServerOut>(`${serverPath(name)}/${action}`));
}

/**
 * Replace a server's allowed hosts. `private` names hosts of the list on a private network; the
 * API adds them (and any private or loopback address) to the private hosts setting as well.
 */
export function useSetAllowedHosts(name: string) {
  return useForgeMutation(({ hosts, private: privateHosts = [] }: { hosts: string[]; private?: string[] }) =>
    api.put<ServerOut>(`${serverPath(name)}/allowed-hosts`, { hosts, private: privateHosts }),
  );
}

export function useSetAllowedModules(name: string) {
  return useForgeMutation((modules: string[]) =>
    api.put<ServerOut>(`${serverPath(name)}/allowed-modules`, { modules }),
  );
}
