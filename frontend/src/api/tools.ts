/** A server's tools, their versions and diffs; enable, disable and roll back (H2). */
import { useQuery } from "@tanstack/react-query";

import { api } from "./client";
import { serverPath, useForgeMutation } from "./servers";
import type { Page, ToolDiffOut, ToolOut, ToolVersionOut } from "./types";

export const toolKeys = {
  list: (server: string) => ["servers", "tools", server] as const,
  detail: (server: string, tool: string) => ["servers", "tools", server, tool] as const,
  versions: (server: string, tool: string) => ["servers", "tools", server, tool, "versions"] as const,
  diff: (server: string, tool: string, from: number, to: number) =>
    ["servers", "tools", server, tool, "diff", from, to] as const,
};

export const toolPath = (server: string, tool: string) =>
  `${serverPath(server)}/tools/${encodeURIComponent(tool)}`;

export function useTools(server: string) {
  return useQuery({
    queryKey: toolKeys.list(server),
    queryFn: ({ signal }) =>
      api.get<Page<ToolOut>>(`${serverPath(server)}/tools`, { signal, query: { page_size: 200 } }),
  });
}

/** One tool with its current code and analysis. */
export function useTool(server: string, tool: string) {
  return useQuery({
    queryKey: toolKeys.detail(server, tool),
    queryFn: ({ signal }) => api.get<ToolOut>(toolPath(server, tool), { signal }),
  });
}

/** The tool's versions, newest first (up to 200: older ones are rarely compared). */
export function useToolVersions(server: string, tool: string) {
  return useQuery({
    queryKey: toolKeys.versions(server, tool),
    queryFn: ({ signal }) =>
      api.get<Page<ToolVersionOut>>(`${toolPath(server, tool)}/versions`, { signal, query: { page_size: 200 } }),
  });
}

/** The unified diff from version `from` to version `to` (null while either is unchosen). */
export function useToolDiff(server: string, tool: string, from: number | null, to: number | null) {
  return useQuery({
    queryKey: toolKeys.diff(server, tool, from ?? 0, to ?? 0),
    queryFn: ({ signal }) =>
      api.get<ToolDiffOut>(`${toolPath(server, tool)}/diff`, { signal, query: { from, to } }),
    enabled: from !== null && to !== null,
  });
}

export function useSetToolEnabled(server: string, tool: string) {
  return useForgeMutation((enabled: boolean) =>
    api.post<ToolOut>(`${toolPath(server, tool)}/${enabled ? "enable" : "disable"}`),
  );
}

/** Make `version`'s code current again; the tool then needs review again. */
export function useRollbackTool(server: string, tool: string) {
  return useForgeMutation((version: number) => api.post<ToolOut>(`${toolPath(server, tool)}/rollback`, { version }));
}
