/** A server's external MCP sources: add, check, discover and import their tools (H2). */
import { useQuery } from "@tanstack/react-query";

import { api } from "./client";
import type { components } from "./schema.gen";
import { serverPath, useForgeMutation } from "./servers";

type Schemas = components["schemas"];
export type SourceOut = Schemas["SourceOut"];
export type SourceAuth = Schemas["SourceAuth"];
export type SourceTransport = Schemas["SourceTransport"];
export type SourceCreate = Schemas["SourceCreate"];
export type DiscoveryOut = Schemas["DiscoveryOut"];
export type RemoteToolOut = Schemas["RemoteToolOut"];
export type ImportOut = Schemas["ImportOut"];
export type OAuthStartOut = Schemas["OAuthStartOut"];

export const externalKeys = {
  list: (server: string) => ["servers", "external", server] as const,
  discovery: (server: string, source: string) => ["servers", "external", server, source, "tools"] as const,
};

const sourcesPath = (server: string) => `${serverPath(server)}/external-sources`;
const sourcePath = (server: string, source: string) => `${sourcesPath(server)}/${encodeURIComponent(source)}`;

export function useSources(server: string) {
  return useQuery({
    queryKey: externalKeys.list(server),
    queryFn: ({ signal }) => api.get<SourceOut[]>(sourcesPath(server), { signal }),
  });
}

/** The tools the source offers right now (asked only when `enabled`: it calls the source). */
export function useDiscovery(server: string, source: string, enabled: boolean) {
  return useQuery({
    queryKey: externalKeys.discovery(server, source),
    queryFn: ({ signal }) => api.get<DiscoveryOut>(`${sourcePath(server, source)}/tools`, { signal }),
    enabled,
    staleTime: 0,
  });
}

export function useAddSource(server: string) {
  return useForgeMutation((body: SourceCreate) => api.post<SourceOut>(sourcesPath(server), body));
}

export function useRemoveSource(server: string) {
  return useForgeMutation((source: string) => api.delete(sourcePath(server, source)));
}

export function useCheckSource(server: string) {
  return useForgeMutation((source: string) => api.post<SourceOut>(`${sourcePath(server, source)}/health-check`));
}

/** Import remote tools as passthrough tools; they wait for approval like any new tool. */
export function useImportSourceTools(server: string, source: string) {
  return useForgeMutation((tools: string[]) => api.post<ImportOut>(`${sourcePath(server, source)}/import`, { tools }));
}

/** Begin the admin's OAuth authorisation of a source; the answer's URL is opened in a new tab. */
export function useStartSourceOAuth(server: string) {
  return useForgeMutation((source: string) => api.post<OAuthStartOut>(`${sourcePath(server, source)}/oauth/start`));
}
