/**
 * Server-Sent Events read from a fetch body. EventSource cannot send an Authorization header,
 * and the API authenticates /activity/stream like every admin route, so the UI reads the stream
 * itself (see the SSE format in the HTML spec: fields, blank-line dispatch, ':' comments).
 */

export interface SseMessage {
  /** "message" when the server named none. */
  event: string;
  data: string;
  id: string | null;
}

export type SseItem = { kind: "message"; message: SseMessage } | { kind: "comment"; text: string };

/** The messages and comments of an SSE body, in order, until it ends. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseItem> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | null = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") {
          if (data.length > 0) yield { kind: "message", message: { event: event || "message", data: data.join("\n"), id } };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) {
          yield { kind: "comment", text: line.slice(1).trim() };
          continue;
        }
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const raw = colon === -1 ? "" : line.slice(colon + 1);
        const text = raw.startsWith(" ") ? raw.slice(1) : raw;
        if (field === "event") event = text;
        else if (field === "data") data.push(text);
        else if (field === "id") id = text;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
