/** Whether this tab holds a session, re-rendering when it starts or ends. */
import { useSyncExternalStore } from "react";

import { api } from "../api/client";

export function useHasSession(): boolean {
  return useSyncExternalStore(api.subscribe, () => api.hasSession);
}
