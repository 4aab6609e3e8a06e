import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import { json, mockApi, renderWithProviders } from "../servers/testing/apiMock";
import { SnippetRunPage } from "./SnippetRunPage";
import { SnippetRunsPage } from "./SnippetRunsPage";
import { snippetRun } from "./testing/fixtures";

afterEach(() => vi.unstubAllGlobals());

function renderRun(id = 42) {
  return renderWithProviders(
    <Routes>
      <Route path="/dotnet/snippets/:run" element={<SnippetRunPage />} />
    </Routes>,
    `/dotnet/snippets/${id}`,
  );
}

describe("SnippetRunsPage", () => {
  it("lists the runs with owner, version, outcome, duration and hash, each linking to its page", async () => {
    mockApi({
      "GET /dotnet/snippets": {
        items: [snippetRun(), snippetRun({ id: 41, version: "9", outcome: "compile_error", duration_ms: 310, code: null })],
        total: 2,
        page: 1,
        page_size: 50,
        pages: 1,
      },
    });
    renderWithProviders(<SnippetRunsPage />, "/dotnet/snippets");
    const table = await screen.findByRole("table", { name: "Snippet runs, newest first" });
    const ok = within(table).getByRole("row", { name: /Run 42/ });
    expect(ok).toHaveTextContent(/claude-desktop\s*8\s*ok\s*1\.3 s\s*9f2c1a7be04d/);
    expect(within(ok).getByRole("link", { name: "Run 42" })).toHaveAttribute("href", "/dotnet/snippets/42");
    const failed = within(table).getByRole("row", { name: /Run 41/ });
    expect(failed).toHaveTextContent(/9\s*compile error\s*310 ms\s*9f2c1a7be04d\s*erased/);
    expect(screen.queryByRole("navigation", { name: "Snippet run pages" })).not.toBeInTheDocument();
  });

  it("pages through older runs, the page kept in the URL", async () => {
    const calls = mockApi({
      "GET /dotnet/snippets": (call: { query: URLSearchParams }) => {
        const page = Number(call.query.get("page"));
        return { items: [snippetRun({ id: 60 - page })], total: 120, page, page_size: 50, pages: 3 };
      },
    });
    renderWithProviders(<SnippetRunsPage />, "/dotnet/snippets?page=2");
    const pages = await screen.findByRole("navigation", { name: "Snippet run pages" });
    expect(pages).toHaveTextContent("Page 2 of 3");
    await userEvent.click(within(pages).getByRole("button", { name: "Older" }));
    expect(await screen.findByRole("link", { name: "Run 57" })).toBeInTheDocument();
    expect(calls.map((call) => call.query.get("page"))).toEqual(["2", "3"]);
  });

  it("says how runs get here when there are none", async () => {
    mockApi({ "GET /dotnet/snippets": { items: [], total: 0, page: 1, page_size: 50, pages: 0 } });
    renderWithProviders(<SnippetRunsPage />, "/dotnet/snippets");
    expect(await screen.findByText("No snippet runs yet")).toBeInTheDocument();
  });
});

describe("SnippetRunPage", () => {
  it("shows who ran it, how it ended, its hash and its code highlighted as C#", async () => {
    mockApi({ "GET /dotnet/snippets/42": snippetRun() });
    renderRun();
    expect(await screen.findByRole("heading", { level: 1, name: "Snippet run 42" })).toBeInTheDocument();
    const summary = screen.getByRole("region", { name: "Summary" });
    expect(summary).toHaveTextContent("Outcomeok");
    expect(summary).toHaveTextContent("Ownerclaude-desktop (an LLM)");
    expect(summary).toHaveTextContent("Duration1.3 s");
    expect(summary).toHaveTextContent(`Code SHA-256${snippetRun().code_hash}`);
    const code = screen.getByRole("region", { name: "Code of snippet run 42" });
    expect(code).toHaveTextContent('Console.WriteLine($"snippet on {Environment.Version.Major}");');
    expect(code.querySelector(".token.interpolation-string")).toHaveTextContent('$"snippet on');
  });

  it("says when the code was erased and after how many days, keeping the hash", async () => {
    mockApi({
      "GET /dotnet/snippets/42": snippetRun({ code: null }),
      "GET /settings/dotnet": [
        { name: "dotnet_snippet_code_retention_days", env: "POLYBOX_DOTNET_SNIPPET_CODE_RETENTION_DAYS", value: 7, description: "" },
      ],
    });
    renderRun();
    expect(await screen.findByText("Code erased after 7 days")).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Summary" })).toHaveTextContent(snippetRun().code_hash);
    expect(screen.queryByRole("region", { name: "Code of snippet run 42" })).not.toBeInTheDocument();
  });

  it("explains a run that is gone, with a way back to the list", async () => {
    const message = "no snippet run 7; its record may have passed log retention";
    mockApi({ "GET /dotnet/snippets/7": json(404, { error: { type: "not_found", message } }) });
    renderRun(7);
    expect(await screen.findByRole("alert")).toHaveTextContent("No snippet run 7; its record may have passed log retention");
    expect(screen.getByRole("link", { name: "All snippet runs" })).toHaveAttribute("href", "/dotnet/snippets");
  });
});
