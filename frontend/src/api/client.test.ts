import { describe, expect, it, vi } from "vitest";

import { ApiClient, ApiError, REFRESH_TOKEN_KEY } from "./client";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const tokens = (access: string, refresh: string) => ({
  access_token: access,
  token_type: "bearer",
  expires_at: "2030-01-01T00:00:00Z",
  refresh_token: refresh,
  refresh_expires_at: "2030-01-08T00:00:00Z",
});

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, value),
    removeItem: (key: string) => void data.delete(key),
  };
}

type Call = { url: string; authorization: string | null; body: unknown };

/** A fetch that records each call and answers from `answer`. */
function recordingFetch(answer: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetch = vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : null;
    const call = { url: String(input), authorization: headers.get("Authorization"), body };
    calls.push(call);
    return Promise.resolve(answer(call));
  });
  return { calls, fetch: fetch as unknown as typeof globalThis.fetch };
}

describe("ApiClient", () => {
  it("turns the API's error body into an ApiError with its message and field errors", async () => {
    const { fetch } = recordingFetch(() =>
      json(422, {
        error: {
          type: "invalid_input",
          message: "invalid request: body.name: String should have at least 1 character",
          details: [{ field: "body.name", message: "String should have at least 1 character" }],
        },
      }),
    );
    const client = new ApiClient({ fetch, storage: memoryStorage() });

    const error = await client.post("/servers", { name: "" }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(422);
    expect(apiError.type).toBe("invalid_input");
    expect(apiError.message).toBe("Invalid request: body.name: String should have at least 1 character");
    expect(apiError.fieldErrors).toEqual({ name: "String should have at least 1 character" });
  });
});
