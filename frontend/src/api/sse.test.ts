import { describe, expect, it } from "vitest";

import { readSse, type SseItem } from "./sse";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<SseItem[]> {
  const items: SseItem[] = [];
  for await (const item of readSse(streamOf(chunks))) items.push(item);
  return items;
}

describe("readSse", () => {
  it("reads comments and events split anywhere across chunks", async () => {
    const items = await collect([": follo", "wing\r\n\r\nevent: activity\nda", 'ta: {"id": 7}\nid: 7\n', "\n: ping\n\n"]);

    expect(items).toEqual([
      { kind: "comment", text: "following" },
      { kind: "message", message: { event: "activity", data: '{"id": 7}', id: "7" } },
      { kind: "comment", text: "ping" },
    ]);
  });

  it("joins multi-line data and names unnamed events 'message'", async () => {
    const items = await collect(["data: a\ndata: b\n\n"]);

    expect(items).toEqual([{ kind: "message", message: { event: "message", data: "a\nb", id: null } }]);
  });
});
