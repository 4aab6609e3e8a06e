/** The activity log: pages, and a live feed of new rows over Server-Sent Events. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { api, ApiError } from "./client";
import { readSse } from "./sse";
import type { ActivityOut, ActorKind, Page } from "./types";

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

export type StreamState = "off" | "connecting" | "live" | "reconnecting" | "failed";

const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Follow new activity matching `filter` while `enabled`: each row goes to `onRow`. Reconnects
 * with back-off after a drop, resuming after the last row seen (Last-Event-ID), so nothing is
 * missed or repeated; gives up ("failed") on a 4xx, which retrying would not change.
 */
export function useActivityStream(
  filter: Omit<ActivityFilter, "since" | "until">,
  enabled: boolean,
  onRow: (row: ActivityOut) => void,
): { state: StreamState; error: unknown } {
  const [state, setState] = useState<StreamState>("off");
  const [error, setError] = useState<unknown>(null);
  const onRowRef = useRef(onRow);
  useEffect(() => {
    onRowRef.current = onRow;
  }, [onRow]);
  const { actor_kind, actor_name, action, target_kind } = filter;

  useEffect(() => {
    if (!enabled) {
      setState("off");
      return;
    }
    const controller = new AbortController();
    const { signal } = controller;
    const stopped = () => signal.aborted; // a function: the flag changes across awaits
    const query = { actor_kind, actor_name, action, target_kind };
    void (async () => {
      let lastId: string | null = null;
      let failures = 0;
      setState("connecting");
      while (!stopped()) {
        try {
          const headers: Record<string, string> = { Accept: "text/event-stream" };
          if (lastId !== null) headers["Last-Event-ID"] = lastId;
          const response = await api.stream("/activity/stream", { query, headers, signal });
          if (!response.body) throw new Error("the stream has no body");
          for await (const item of readSse(response.body)) {
            if (item.kind === "comment") {
              if (item.text === "following") {
                failures = 0;
                setError(null);
                setState("live");
              }
              continue;
            }
            if (item.message.event !== "activity") continue;
            lastId = item.message.id ?? lastId;
            onRowRef.current(JSON.parse(item.message.data) as ActivityOut);
          }
        } catch (caught) {
          if (stopped()) return;
          setError(caught);
          if (caught instanceof ApiError && caught.status >= 400 && caught.status < 500) {
            setState("failed");
            return;
          }
        }
        if (stopped()) return;
        setState("reconnecting");
        await pause(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 30_000, signal);
        failures += 1;
      }
    })();
    return () => controller.abort();
  }, [enabled, actor_kind, actor_name, action, target_kind]);

  return { state, error };
}
