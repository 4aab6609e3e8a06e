/**
 * The one way the UI talks to the admin API.
 *
 * The access token lives in memory only; the refresh token in sessionStorage, so a reload in the
 * same tab resumes the session and closing the tab ends it. A 401 triggers one refresh through
 * /api/auth/refresh and one retry; when the refresh fails the session is over and subscribers
 * (the auth state) are told. Every failure becomes an `ApiError` whose message can be shown as is.
 */
import type { TokenPair } from "./types";

export const REFRESH_TOKEN_KEY = "polybox.refresh_token";

/** One bad field of a 422, with the field's name without its location prefix (`body.`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** An API failure in plain words: `message` is meant for people, `type` for code. */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }

  /** The bad fields of a validation error, keyed by the field's last name part. */
  get fieldErrors(): Record<string, string> {
    const errors: Record<string, string> = {};
    if (!Array.isArray(this.details)) return errors;
    for (const item of this.details as unknown[]) {
      if (isFieldProblem(item)) {
        const name = item.field.split(".").pop() ?? item.field;
        errors[name] ??= item.message;
      }
    }
    return errors;
  }
}

function isFieldProblem(value: unknown): value is FieldProblem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as FieldProblem).field === "string" &&
    typeof (value as FieldProblem).message === "string"
  );
}

function isErrorBody(value: unknown): value is { error: { type: string; message: string; details?: unknown } } {
  if (typeof value !== "object" || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { type?: unknown }).type === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

/** Upper-case the first letter: API messages are sentence fragments ("the session ended; log in"). */
export function sentence(text: string): string {
  return text.length > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function fallbackMessage(status: number): string {
  if (status === 401) return "Your session has ended. Please log in again.";
  if (status === 403) return "You are not allowed to do this.";
  if (status === 404) return "This was not found. It may have been deleted.";
  if (status === 413) return "The request is too large.";
  if (status === 429) return "Too many attempts. Wait a minute and try again.";
  if (status >= 500)
    return `polybox could not answer (HTTP ${status}). Check that the server is running and try again.`;
  return `The request failed (HTTP ${status}).`;
}

/** The `ApiError` for a failed response: the API's own error body when there is one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's HTML page, an empty body): the status says enough
  }
  if (isErrorBody(body)) {
    const { type, message, details } = body.error;
    return new ApiError(response.status, type, sentence(message), details ?? null);
  }
  return new ApiError(response.status, `http_${response.status}`, fallbackMessage(response.status));
}

/** A message for anything thrown: ApiError's own, else a generic one. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return sentence(error.message);
  return "Something went wrong. Try again.";
}

export interface RequestOptions {
  method?: string;
  /** JSON body; `undefined` sends none. */
  body?: unknown;
  /** Query parameters; `undefined`, `null` and "" are left out. */
  query?: Record<string, string | number | boolean | null | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** false for the auth entry points: no bearer token, no refresh on 401. */
  auth?: boolean;
}

export interface ApiClientOptions {
  /** Prefix of every path (default "/api"). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Where the refresh token is kept (default sessionStorage). */
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem">;
}

export class ApiClient {
  private accessToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly storage: Pick<Storage, "getItem" | "setItem" | "removeItem">;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? "/api";
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.storage = options.storage ?? globalThis.sessionStorage;
  }

  /** True while there is a session to use (an access token or a refresh token to get one). */
  get hasSession(): boolean {
    return this.accessToken !== null || this.storage.getItem(REFRESH_TOKEN_KEY) !== null;
  }

  /** Be told when the session starts or ends; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Start using a login's (or refresh's) tokens. */
  setTokens(tokens: TokenPair): void {
    const wasSignedIn = this.hasSession;
    this.accessToken = tokens.access_token;
    this.storage.setItem(REFRESH_TOKEN_KEY, tokens.refresh_token);
    if (!wasSignedIn) this.notify();
  }

  /** Forget both tokens (logout, or a session the server ended). */
  clearTokens(): void {
    const wasSignedIn = this.hasSession;
    this.accessToken = null;
    this.storage.removeItem(REFRESH_TOKEN_KEY);
    if (wasSignedIn) this.notify();
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.fetchResponse(path, options);
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  get<T>(path: string, options: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "GET" });
  }

  post<T>(path: string, body?: unknown, options: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "POST", body });
  }

  put<T>(path: string, body?: unknown, options: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "PUT", body });
  }

  patch<T>(path: string, body?: unknown, options: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "PATCH", body });
  }

  delete<T = void>(path: string, options: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "DELETE" });
  }

  /**
   * The raw response of an authenticated request (refreshing on 401 like `request`), for bodies
   * read as a stream such as Server-Sent Events. Throws ApiError unless the response is ok.
   */
  async stream(path: string, options: RequestOptions = {}): Promise<Response> {
    const response = await this.fetchResponse(path, options);
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  private async fetchResponse(path: string, options: RequestOptions): Promise<Response> {
    const auth = options.auth ?? true;
    if (!auth) return this.send(path, options, null);
    if (this.accessToken === null && this.storage.getItem(REFRESH_TOKEN_KEY) !== null) {
      await this.refresh();
    }
    const used = this.accessToken;
    const response = await this.send(path, options, used);
    if (response.status !== 401) return response;
    // Another request may have refreshed meanwhile; else refresh once ourselves.
    const renewed = this.accessToken !== used && this.accessToken !== null ? true : await this.refresh();
    if (!renewed) {
      this.clearTokens();
      return response;
    }
    const retried = await this.send(path, options, this.accessToken);
    if (retried.status === 401) this.clearTokens();
    return retried;
  }

  /** Trade the refresh token for new tokens; concurrent callers share one exchange. */
  private refresh(): Promise<boolean> {
    this.refreshing ??= this.exchangeRefreshToken().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async exchangeRefreshToken(): Promise<boolean> {
    const refreshToken = this.storage.getItem(REFRESH_TOKEN_KEY);
    if (refreshToken === null) return false;
    const response = await this.send(
      "/auth/refresh",
      { method: "POST", body: { refresh_token: refreshToken } },
      null,
    );
    if (!response.ok) {
      this.clearTokens();
      return false;
    }
    this.setTokens((await response.json()) as TokenPair);
    return true;
  }

  private async send(path: string, options: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const init: RequestInit = { method: options.method ?? "GET", headers };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    if (options.signal) init.signal = options.signal;
    try {
      return await this.fetchImpl(this.baseUrl + path + queryString(options.query), init);
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(
        0,
        "network",
        "Could not reach polybox. Check your connection and that the server is running.",
      );
    }
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/** `?a=1&b=x` from the set values of `query` ("" when none is set). */
export function queryString(query: RequestOptions["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The client the app uses. */
export const api = new ApiClient();
