/** A server's secrets: keys and whether they are set. Values go in and never come back (H2). */
import { useQuery } from "@tanstack/react-query";

import { api } from "./client";
import { serverPath, useForgeMutation } from "./servers";
import type { Page, SecretOut } from "./types";

export const secretKeys = {
  list: (server: string) => ["servers", "secrets", server] as const,
};

const secretPath = (server: string, key: string) => `${serverPath(server)}/secrets/${encodeURIComponent(key)}`;

export function useSecrets(server: string) {
  return useQuery({
    queryKey: secretKeys.list(server),
    queryFn: ({ signal }) =>
      api.get<Page<SecretOut>>(`${serverPath(server)}/secrets`, { signal, query: { page_size: 200 } }),
  });
}

/** A placeholder without a value (what the LLM would ask for), to fill in later. */
export function useCreateSecret(server: string) {
  return useForgeMutation((body: { key: string; description: string }) =>
    api.post<SecretOut>(`${serverPath(server)}/secrets`, body),
  );
}

export function useSetSecretValue(server: string) {
  return useForgeMutation(({ key, value, raw }: { key: string; value: string; raw: boolean }) =>
    api.put<SecretOut>(secretPath(server, key), { value, raw }),
  );
}

export function useDeleteSecret(server: string) {
  return useForgeMutation((key: string) => api.delete(secretPath(server, key)));
}
