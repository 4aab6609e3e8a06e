/** The activity log: pages, and a live feed of new rows over Server-Sent Events. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useCallback, useMemo } from "react";

import { api } from "./client";
import type { SseMessage } from "./sse";
import type { ActivityOut, ActorKind, Page } from "./types";
import { type StreamState, useEventStream } from "./useEventStream";

export type { StreamState } from "./useEventStream";

/** The filter of both the list and the stream; empty values match everything. */
export interface ActivityFilter {
  actor_kind?: ActorKind | "";
  actor_name?: string;
  action?: string;
  target_kind?: string;
  /** ISO 8601 with a zone, inclusive. */
  since?: string;
  /** ISO 8601 with a zone, exclusive. */
  until?: string;
}

export const activityKeys = {
  all: ["activity"] as const,
  page: (filter: ActivityFilter, page: number, pageSize: number) => ["activity", filter, page, pageSize] as const,
};

export function useActivity(filter: ActivityFilter, page = 1, pageSize = 50) {
  return useQuery({
    queryKey: activityKeys.page(filter, page, pageSize),
    queryFn: ({ signal }) =>
      api.get<Page<ActivityOut>>("/activity", { signal, query: { ...filter, page, page_size: pageSize } }),
    placeholderData: keepPreviousData,
  });
}

/**
 * Follow new activity matching `filter` while `enabled`: each row goes to `onRow`. Reconnects
 * with back-off after a drop, resuming after the last row seen (Last-Event-ID).
 */
export function useActivityStream(
  filter: Omit<ActivityFilter, "since" | "until">,
  enabled: boolean,
  onRow: (row: ActivityOut) => void,
): { state: StreamState; error: unknown } {
  const { actor_kind, actor_name, action, target_kind } = filter;
  const query = useMemo(
    () => ({ actor_kind, actor_name, action, target_kind }),
    [actor_kind, actor_name, action, target_kind],
  );
  const onMessage = useCallback(
    (message: SseMessage) => {
      if (message.event === "activity") onRow(JSON.parse(message.data) as ActivityOut);
    },
    [onRow],
  );
  return useEventStream({
    path: "/activity/stream",
    query,
    queryKey: JSON.stringify(query),
    enabled,
    onMessage,
    resume: true,
  });
}
