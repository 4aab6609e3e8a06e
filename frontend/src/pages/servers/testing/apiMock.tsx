/** Test helpers for the server pages: a fetch that answers by route, and providers around a page. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { vi } from "vitest";

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}


/**
 * Stub `fetch` with replies keyed "METHOD /path" (path after /api, without the query). An unknown
 * route answers 404 in the API's error shape, so a missing stub fails loudly. Returns every call.
 */
export function mockApi(routes: Record<string, unknown>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((input: string, init: RequestInit = {}) => {
      const url = new URL(input, "http://polybox.test");
      const path = url.pathname.replace(/^\/api/, "");
      const call: Call = {
        method: init.method ?? "GET",
        path,
        query: url.searchParams,
        body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
      };
      calls.push(call);
      const key = `${call.method} ${decodeURIComponent(path)}`;
      if (!(key in routes)) {
        return Promise.resolve(json(404, { error: { type: "not_found", message: `no stub for ${key}` } }));
      }
      const reply = routes[key];
      const body = typeof reply === "function" ? (reply as (call: Call) => unknown)(call) : reply;
      if (body instanceof Response) return Promise.resolve(body);
      return Promise.resolve(body === undefined ? new Response(null, { status: 204 }) : json(200, body));
    }),
  );
  return calls;
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export function page<T>(items: T[]) {
  return { items, total: items.length, page: 1, page_size: 50, pages: items.length ? 1 : 0 };
}

/** Render `ui` inside a fresh query client (no retries) and a memory router at `path`. */
export function renderWithProviders(ui: React.ReactElement, path = "/") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
}
