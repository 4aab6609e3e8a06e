/** Following a Server-Sent Events route of the admin API, reconnecting after drops. */
import { useEffect, useRef, useState } from "react";

import { api, ApiError, type RequestOptions } from "./client";
import { readSse, type SseMessage } from "./sse";

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

export interface EventStreamOptions {
  /** Path under /api; a change reconnects. */
  path: string;
  /** Query parameters; `queryKey` (e.g. their JSON) decides when a change reconnects. */
  query?: RequestOptions["query"];
  queryKey?: string;
  enabled: boolean;
  /** Each message as it comes. */
  onMessage: (message: SseMessage) => void;
  /** Called as each connection opens, before its first message (e.g. to drop a replayed tail). */
  onConnect?: () => void;
  /**
   * Resume after the last message id seen (Last-Event-ID) when reconnecting, so nothing is missed
   * or repeated; the state turns "live" at the server's `: following` comment. Without it the
   * state is "live" as soon as the response opens.
   */
  resume?: boolean;
}

/**
 * Follow `path` while `enabled`, with back-off after a drop; gives up ("failed") on a 4xx, which
 * retrying would not change.
 */
export function useEventStream({
  path,
  query,
  queryKey,
  enabled,
  onMessage,
  onConnect,
  resume = false,
}: EventStreamOptions): { state: StreamState; error: unknown } {
  const [state, setState] = useState<StreamState>("off");
  const [error, setError] = useState<unknown>(null);
  const handlers = useRef({ onMessage, onConnect, query });
  useEffect(() => {
    handlers.current = { onMessage, onConnect, query };
  }, [onMessage, onConnect, query]);

  useEffect(() => {
    if (!enabled) {
      setState("off");
      return;
    }
    const controller = new AbortController();
    const { signal } = controller;
    const stopped = () => signal.aborted; // a function: the flag changes across awaits
    void (async () => {
      let lastId: string | null = null;
      let failures = 0;
      setState("connecting");
      while (!stopped()) {
        try {
          const headers: Record<string, string> = { Accept: "text/event-stream" };
          if (resume && lastId !== null) headers["Last-Event-ID"] = lastId;
          const response = await api.stream(path, { query: handlers.current.query, headers, signal });
          if (!response.body) throw new Error("the stream has no body");
          handlers.current.onConnect?.();
          const live = () => {
            failures = 0;
            setError(null);
            setState("live");
          };
          if (!resume) live();
          for await (const item of readSse(response.body)) {
            if (item.kind === "comment") {
              if (resume && item.text === "following") live();
              continue;
            }
            lastId = item.message.id ?? lastId;
            handlers.current.onMessage(item.message);
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
  }, [enabled, path, queryKey, resume]);

  return { state, error };
}
