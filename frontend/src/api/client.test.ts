import { describe, expect, it, vi } from "vitest";

import { ApiClient, ApiError, REFRESH_TOKEN_KEY } from "./client";
import type { TokenPair } from "./types";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const tokens = (access: string, refresh: string): TokenPair => ({
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
    const url = input instanceof Request ? input.url : input.toString();
    const call = { url, authorization: headers.get("Authorization"), body };
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

  it("refreshes once on a 401 and retries the request with the new access token", async () => {
    const { calls, fetch } = recordingFetch((call) => {
      if (call.url === "/api/auth/refresh") return json(200, tokens("new-access", "new-refresh"));
      return call.authorization === "Bearer new-access" ? json(200, { ok: true }) : json(401, { error: { type: "unauthorized", message: "token expired" } });
    });
    const storage = memoryStorage();
    const client = new ApiClient({ fetch, storage });
    client.setTokens(tokens("old-access", "old-refresh"));

    const answer = await client.get<{ ok: boolean }>("/dashboard");

    expect(answer).toEqual({ ok: true });
    expect(calls.map((c) => c.url)).toEqual(["/api/dashboard", "/api/auth/refresh", "/api/dashboard"]);
    expect(calls[1]?.body).toEqual({ refresh_token: "old-refresh" });
    expect(storage.getItem(REFRESH_TOKEN_KEY)).toBe("new-refresh");
  });

  it("ends the session when the refresh is refused, and tells subscribers", async () => {
    const { calls, fetch } = recordingFetch(() =>
      json(401, { error: { type: "unauthorized", message: "the session ended (logout); log in" } }),
    );
    const storage = memoryStorage();
    const client = new ApiClient({ fetch, storage });
    client.setTokens(tokens("old-access", "old-refresh"));
    const ended = vi.fn();
    client.subscribe(ended);

    const error = await client.get("/dashboard").catch((e: unknown) => e);

    expect((error as ApiError).message).toBe("The session ended (logout); log in");
    expect(calls.map((c) => c.url)).toEqual(["/api/dashboard", "/api/auth/refresh"]);
    expect(client.hasSession).toBe(false);
    expect(storage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("shares one refresh between concurrent requests that got a 401", async () => {
    const { calls, fetch } = recordingFetch((call) => {
      if (call.url === "/api/auth/refresh") return json(200, tokens("new-access", "new-refresh"));
      return call.authorization === "Bearer new-access" ? json(200, {}) : json(401, {});
    });
    const client = new ApiClient({ fetch, storage: memoryStorage() });
    client.setTokens(tokens("old-access", "old-refresh"));

    await Promise.all([client.get("/a"), client.get("/b"), client.get("/c")]);

    expect(calls.filter((c) => c.url === "/api/auth/refresh")).toHaveLength(1);
  });

  it("resumes a session after a reload from the refresh token alone", async () => {
    const { calls, fetch } = recordingFetch((call) =>
      call.url === "/api/auth/refresh" ? json(200, tokens("fresh", "next")) : json(200, { username: "alice" }),
    );
    const client = new ApiClient({ fetch, storage: memoryStorage({ [REFRESH_TOKEN_KEY]: "kept" }) });

    await client.get("/auth/me");

    expect(calls.map((c) => [c.url, c.authorization])).toEqual([
      ["/api/auth/refresh", null],
      ["/api/auth/me", "Bearer fresh"],
    ]);
  });

  it("never sends a token or refreshes for the auth entry points", async () => {
    const { calls, fetch } = recordingFetch(() =>
      json(401, { error: { type: "unauthorized", message: "wrong username or password" } }),
    );
    const client = new ApiClient({ fetch, storage: memoryStorage({ [REFRESH_TOKEN_KEY]: "kept" }) });

    const error = await client.post("/auth/login", { username: "a", password: "b" }, { auth: false }).catch((e: unknown) => e);

    expect((error as ApiError).message).toBe("Wrong username or password");
    expect(calls.map((c) => [c.url, c.authorization])).toEqual([["/api/auth/login", null]]);
  });

  it("explains a response without the API's error body by its status, and a network failure plainly", async () => {
    const html = new ApiClient({
      fetch: () => Promise.resolve(new Response("<html>Bad Gateway</html>", { status: 502 })),
      storage: memoryStorage(),
    });
    const offline = new ApiClient({ fetch: () => Promise.reject(new TypeError("Failed to fetch")), storage: memoryStorage() });

    const gateway = (await html.get("/x", { auth: false }).catch((e: unknown) => e)) as ApiError;
    const network = (await offline.get("/x", { auth: false }).catch((e: unknown) => e)) as ApiError;

    expect(gateway.status).toBe(502);
    expect(gateway.message).toMatch(/could not answer \(HTTP 502\)/);
    expect(network.type).toBe("network");
    expect(network.message).toMatch(/Could not reach polybox/);
  });
});
