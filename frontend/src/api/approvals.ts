/** The review queues (tools, modules, network) and the decisions on them (H2). */
import { useQuery } from "@tanstack/react-query";

import { api } from "./client";
import { useForgeMutation } from "./servers";
import { toolKeys, toolPath } from "./tools";
import type { Decision, DecisionResult, Page, RequestOut, ToolOut, ToolReviewOut, ToolVersionOut } from "./types";

export type RequestKind = RequestOut["kind"];

export const approvalKeys = {
  tools: (server?: string) => ["approvals", "tools", server ?? null] as const,
  requests: (kind: RequestKind) => ["approvals", kind] as const,
  installs: ["approvals", "installs"] as const,
};

/** How often the installs list looks again while a module is still installing. */
export const INSTALL_POLL_MS = 1000;

/** Tools waiting for review, each with the diff since its last approved version. */
export function useToolReviews(server?: string) {
  return useQuery({
    queryKey: approvalKeys.tools(server),
    queryFn: ({ signal }) =>
      api.get<Page<ToolReviewOut>>("/approvals/tools", { signal, query: { server, page_size: 200 } }),
  });
}

/** Pending module or network requests, oldest first as the API lists them. */
export function usePendingRequests(kind: RequestKind) {
  return useQuery({
    queryKey: approvalKeys.requests(kind),
    queryFn: ({ signal }) =>
      api.get<Page<RequestOut>>(`/approvals/${kind === "module" ? "modules" : "network"}`, {
        signal,
        query: { page_size: 200 },
      }),
  });
}

/** Who wrote a tool's current version (the review queue does not say; its version list does). */
export function useCurrentVersion(server: string, tool: string) {
  return useQuery({
    queryKey: toolKeys.versions(server, tool),
    queryFn: ({ signal }) =>
      api.get<Page<ToolVersionOut>>(`${toolPath(server, tool)}/versions`, { signal, query: { page_size: 200 } }),
    select: (page) => page.items.find((version) => version.is_current) ?? null,
  });
}

const approvalPath = (server: string, tool: string) =>
  `/approvals/tools/${encodeURIComponent(server)}/${encodeURIComponent(tool)}`;

export function useApproveTool() {
  return useForgeMutation(({ server, tool, note }: { server: string; tool: string; note?: string }) =>
    api.post<ToolOut>(`${approvalPath(server, tool)}/approve`, { note: note ?? null }),
  );
}

export function useRejectTool() {
  return useForgeMutation(({ server, tool, reason }: { server: string; tool: string; reason: string }) =>
    api.post<ToolOut>(`${approvalPath(server, tool)}/reject`, { reason }),
  );
}

/** Withdraw an approval: the tool stops being callable and waits for review again. */
export function useRevokeTool() {
  return useForgeMutation(({ server, tool, note }: { server: string; tool: string; note?: string }) =>
    api.post<ToolOut>(`${approvalPath(server, tool)}/revoke`, { note: note ?? null }),
  );
}

export function useDecideRequest() {
  return useForgeMutation(
    ({ kind, id, approve, note }: { kind: RequestKind; id: number; approve: boolean; note?: string }) =>
      api.post<RequestOut>(`/approvals/${kind}/${id}/decide`, { approve, note: note ?? null }),
  );
}

/**
 * Approved modules and their installs, newest first. While one is installing, the list refreshes
 * itself every second, so the admin sees "installed 2.9.0" or why it failed without reloading.
 */
export function useModuleInstalls() {
  return useQuery({
    queryKey: approvalKeys.installs,
    queryFn: ({ signal }) =>
      api.get<Page<RequestOut>>("/approvals/modules/installs", { signal, query: { page_size: 50 } }),
    refetchInterval: (query) =>
      query.state.data?.items.some((request) => request.status === "installing") ? INSTALL_POLL_MS : false,
  });
}

/** Install a module again after its install failed, optionally from a package of another name. */
export function useRetryInstall() {
  return useForgeMutation(({ id, package: name }: { id: number; package?: string }) =>
    api.post<RequestOut>(`/approvals/module/${id}/install`, { package: name ?? null }),
  );
}

/** Several decisions at once; each result says on its own whether it applied. */
export function useBulkDecide() {
  return useForgeMutation((items: Decision[]) => api.post<DecisionResult[]>("/approvals/bulk", { items }));
}
