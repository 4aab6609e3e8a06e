/**
 * .NET workspaces as the admin sees them: the live list, one workspace's detail, files and log
 * tail, stopping one and cleaning all up; and the .NET runtime's status and settings (some
 * changeable while polybox runs).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";

import { useActivityStream } from "./activity";
import { api } from "./client";
import type { SseMessage } from "./sse";
import type {
  CleanupOut,
  DotnetSettingOut,
  DotnetVersionOut,
  WorkspaceFileContent,
  WorkspaceFileOut,
  WorkspaceOut,
} from "./types";
import { type StreamState, useEventStream } from "./useEventStream";

/** CPU, memory and idle time change without an event: the list and detail poll this often. */
const USAGE_POLL_MS = 5_000;
/** Lines of a log tail kept in the page. */
export const LOG_LINES = 500;

export const workspaceKeys = {
  all: ["workspaces"] as const,
  list: ["workspaces", "list"] as const,
  detail: (id: string) => ["workspaces", "detail", id] as const,
  files: (id: string, path: string) => ["workspaces", "files", id, path] as const,
  file: (id: string, path: string) => ["workspaces", "file", id, path] as const,
  dotnetStatus: ["dotnet", "status"] as const,
  dotnetSettings: ["settings", "dotnet"] as const,
};

function workspacePath(id: string, rest = ""): string {
  return `/workspaces/${encodeURIComponent(id)}${rest}`;
}

/**
 * Refresh the workspace queries whenever the activity log records a workspace event (created,
 * stopped, cleaned up), so a new workspace shows at once rather than at the next poll.
 */
export function useWorkspaceEvents(): StreamState {
  const client = useQueryClient();
  const onRow = useCallback(() => void client.invalidateQueries({ queryKey: workspaceKeys.all }), [client]);
  return useActivityStream({ target_kind: "workspace" }, true, onRow).state;
}

export function useWorkspaces() {
  return useQuery({
    queryKey: workspaceKeys.list,
    queryFn: ({ signal }) => api.get<WorkspaceOut[]>("/workspaces", { signal }),
    refetchInterval: USAGE_POLL_MS,
  });
}

export function useWorkspace(id: string) {
  return useQuery({
    queryKey: workspaceKeys.detail(id),
    queryFn: ({ signal }) => api.get<WorkspaceOut>(workspacePath(id), { signal }),
    refetchInterval: USAGE_POLL_MS,
  });
}

/** The entries of one directory of the workspace ("" is /workspace itself). */
export function useWorkspaceFiles(id: string, path: string, enabled = true) {
  return useQuery({
    queryKey: workspaceKeys.files(id, path),
    queryFn: ({ signal }) =>
      api.get<WorkspaceFileOut[]>(workspacePath(id, "/files"), { signal, query: { path: path || "." } }),
    enabled,
  });
}

export function useWorkspaceFile(id: string, path: string | null) {
  return useQuery({
    queryKey: workspaceKeys.file(id, path ?? ""),
    queryFn: ({ signal }) => api.get<WorkspaceFileContent>(workspacePath(id, "/file"), { signal, query: { path } }),
    enabled: path !== null,
  });
}

/**
 * The live log tail of one process of a workspace, newest last, at most LOG_LINES lines. Each
 * connection starts with the kept lines, so a reconnect replaces them; the stream's `end` event
 * (the process ended, or its workspace stopped) ends the following, and `ended` says so.
 */
export function useLogTail(id: string, process: string | null, enabled: boolean) {
  const [lines, setLines] = useState<string[]>([]);
  const [ended, setEnded] = useState<string | null>(null);
  const onConnect = useCallback(() => setLines([]), []);
  const onMessage = useCallback(
    (message: SseMessage) => {
      if (message.event === "end") setEnded(process);
      else if (message.event === "line") setLines((current) => [...current, JSON.parse(message.data) as string].slice(-LOG_LINES));
    },
    [process],
  );
  const following = enabled && process !== null && ended !== process;
  const stream = useEventStream({
    path: workspacePath(id, `/processes/${encodeURIComponent(process ?? "")}/log`),
    enabled: following,
    onMessage,
    onConnect,
    resume: false,
  });
  return { lines: process === null ? [] : lines, ended: ended === process, ...stream };
}

function useInvalidateWorkspaces() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: workspaceKeys.all });
}

export function useStopWorkspace() {
  const invalidate = useInvalidateWorkspaces();
  return useMutation({
    mutationFn: (id: string) => api.post<WorkspaceOut>(workspacePath(id, "/stop")),
    onSuccess: invalidate,
  });
}

export function useCleanupWorkspaces() {
  const invalidate = useInvalidateWorkspaces();
  return useMutation({
    mutationFn: () => api.post<CleanupOut>("/workspaces/cleanup"),
    onSuccess: invalidate,
  });
}

/** Each .NET version as `polybox doctor` sees it, with its compile server now. */
export function useDotnetStatus() {
  return useQuery({
    queryKey: workspaceKeys.dotnetStatus,
    queryFn: ({ signal }) => api.get<DotnetVersionOut[]>("/dotnet/status", { signal }),
  });
}

/** Every .NET setting: its value now, its startup value, and whether it can be changed here. */
export function useDotnetSettings() {
  return useQuery({
    queryKey: workspaceKeys.dotnetSettings,
    queryFn: ({ signal }) => api.get<DotnetSettingOut[]>("/settings/dotnet", { signal }),
  });
}

function useDotnetSettingsMutation<Input>(send: (input: Input) => Promise<DotnetSettingOut[]>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess: (settings) => client.setQueryData(workspaceKeys.dotnetSettings, settings),
  });
}

/** Change some .NET settings; every bad field comes back at once (ApiError.fieldErrors), none written. */
export function useUpdateDotnetSettings() {
  return useDotnetSettingsMutation((changes: Record<string, unknown>) =>
    api.patch<DotnetSettingOut[]>("/settings/dotnet", changes),
  );
}

/** Bring one .NET setting back to its startup value. */
export function useResetDotnetSetting() {
  return useDotnetSettingsMutation((name: string) =>
    api.delete<DotnetSettingOut[]>(`/settings/dotnet/${encodeURIComponent(name)}`),
  );
}
