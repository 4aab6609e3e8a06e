/** The dashboard's statistics, refreshed every 30 s while the page is open. */
import { useQuery } from "@tanstack/react-query";

import { api } from "./client";
import type { DashboardOut } from "./types";

export const dashboardKeys = { all: ["dashboard"] as const };

export function useDashboard() {
  return useQuery({
    queryKey: dashboardKeys.all,
    queryFn: ({ signal }) => api.get<DashboardOut>("/dashboard", { signal }),
    refetchInterval: 30_000,
  });
}
