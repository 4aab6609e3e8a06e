/** Forge settings (the security policy) and the security profiles. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "./client";
import type { ForgeSettings, SettingsPatch, SettingsProfile } from "./types";

export const settingsKeys = {
  settings: ["settings"] as const,
  profiles: ["settings", "profiles"] as const,
};

export function useSettings() {
  return useQuery({
    queryKey: settingsKeys.settings,
    queryFn: ({ signal }) => api.get<ForgeSettings>("/settings", { signal }),
  });
}

export function useProfiles() {
  return useQuery({
    queryKey: settingsKeys.profiles,
    queryFn: ({ signal }) => api.get<SettingsProfile[]>("/settings/profiles", { signal }),
  });
}

function useSettingsMutation<Input>(send: (input: Input) => Promise<ForgeSettings>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess: (settings) => {
      queryClient.setQueryData(settingsKeys.settings, settings);
      void queryClient.invalidateQueries({ queryKey: settingsKeys.profiles });
    },
  });
}

/** Change some settings; every bad field comes back at once (ApiError.fieldErrors). */
export function useUpdateSettings() {
  return useSettingsMutation((patch: SettingsPatch) => api.patch<ForgeSettings>("/settings", patch));
}

export function useApplyProfile() {
  return useSettingsMutation((name: SettingsProfile["name"]) =>
    api.post<ForgeSettings>(`/settings/profile/${encodeURIComponent(name)}`),
  );
}
