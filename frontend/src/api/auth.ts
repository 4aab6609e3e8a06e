/** Authentication: whether setup is needed, login, setup, logout, the current admin, password. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "./client";
import type { AdminOut, AuthStatus, Credentials, PasswordChange, TokenPair } from "./types";

export const authKeys = {
  status: ["auth", "status"] as const,
  me: ["auth", "me"] as const,
};

/** Whether the first admin still has to be created (then only /setup makes sense). */
export function useAuthStatus() {
  return useQuery({
    queryKey: authKeys.status,
    queryFn: ({ signal }) => api.get<AuthStatus>("/auth/status", { signal, auth: false }),
    staleTime: 60_000,
  });
}

/** The signed-in admin (also proves the session is live). */
export function useMe(enabled = true) {
  return useQuery({
    queryKey: authKeys.me,
    queryFn: ({ signal }) => api.get<AdminOut>("/auth/me", { signal }),
    enabled,
    staleTime: 5 * 60_000,
  });
}

/** Log in; on success the client holds the tokens and every cached query starts over. */
export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (credentials: Credentials) =>
      api.post<TokenPair>("/auth/login", credentials, { auth: false }),
    onSuccess: (tokens) => {
      queryClient.clear();
      api.setTokens(tokens);
    },
  });
}

/** Create the first admin, then log in as them. */
export function useSetup() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (credentials: Credentials) => {
      await api.post<AdminOut>("/auth/setup", credentials, { auth: false });
      return api.post<TokenPair>("/auth/login", credentials, { auth: false });
    },
    onSuccess: (tokens) => {
      queryClient.clear();
      queryClient.setQueryData<AuthStatus>(authKeys.status, { setup_required: false });
      api.setTokens(tokens);
    },
  });
}

/** End the session on the server (best effort) and forget it here. */
export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      try {
        await api.post("/auth/logout");
      } finally {
        api.clearTokens();
        queryClient.clear();
      }
    },
  });
}

/** Change your own password; the server ends every session of yours, so log in again after. */
export function useChangePassword() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: PasswordChange) => api.post("/auth/password", change),
    onSuccess: () => {
      api.clearTokens();
      queryClient.clear();
    },
  });
}
