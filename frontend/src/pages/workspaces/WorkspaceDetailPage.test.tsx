import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockApi, renderWithProviders } from "../servers/testing/apiMock";
import { openStream, workspace } from "./testing/fixtures";
import { WorkspaceDetailPage } from "./WorkspaceDetailPage";

afterEach(() => vi.unstubAllGlobals());

const ID = "dotnet8-webapi-3fa2c1";
const PROGRAM = 'var app = WebApplication.Create(args);\napp.MapGet("/hello", () => "hi");\napp.Run();\n';

function renderDetail() {
  return renderWithProviders(
    <Routes>
      <Route path="/workspaces/:workspace" element={<WorkspaceDetailPage />} />
    </Routes>,
    `/workspaces/${ID}`,
  );
}

const ROUTES = {
  [`GET /workspaces/${ID}`]: workspace(),
  [`GET /workspaces/${ID}/files`]: (call: { query: URLSearchParams }) =>
    call.query.get("path") === "Properties"
      ? [{ path: "Properties/launchSettings.json", size: 120, is_dir: false, modified: 1_765_000_000 }]
      : [
          { path: "Api.csproj", size: 300, is_dir: false, modified: 1_765_000_000 },
          { path: "Program.cs", size: PROGRAM.length, is_dir: false, modified: 1_765_000_000 },
          { path: "Properties", size: 0, is_dir: true, modified: 1_765_000_000 },
        ],
  [`GET /workspaces/${ID}/file`]: { path: "Program.cs", size: PROGRAM.length, text: PROGRAM },
  [`GET /workspaces/${ID}/processes/api/log`]: () =>
    openStream(
      ": following\n\n",
      'event: line\ndata: "Now listening on: http://127.0.0.1:5000"\n\n',
      'event: line\ndata: "Application started."\n\n',
      "event: end\ndata: \n\n",
    ),
};

describe("WorkspaceDetailPage", () => {
  it("shows the processes and follows the log tail until the process ends", async () => {
    mockApi(ROUTES);
    renderDetail();
    expect(await screen.findByRole("heading", { level: 1, name: ID })).toBeInTheDocument();
    const processes = screen.getByRole("table", { name: `Processes of ${ID}` });
    expect(within(processes).getByRole("row", { name: /api hosted API running 5000/ })).toBeInTheDocument();
    const log = await screen.findByRole("region", { name: "Log of api" });
    expect(log).toHaveTextContent("Now listening on: http://127.0.0.1:5000");
    expect(await within(log).findByText(/Application started\./)).toBeInTheDocument();
    expect(await screen.findByText(/The process has ended/)).toBeInTheDocument();
    expect(log).toHaveTextContent("Application started.");
  });

  it("walks the files and shows one with its C# highlighted", async () => {
    const calls = mockApi(ROUTES);
    renderDetail();
    await userEvent.click(await screen.findByRole("button", { name: "Program.cs" }));
    const code = await screen.findByRole("region", { name: "Contents of Program.cs" });
    expect(code).toHaveTextContent('app.MapGet("/hello"');
    expect(code.querySelector(".token.keyword")).toHaveTextContent("var");
    expect(calls.find((call) => call.path.endsWith("/file"))?.query.get("path")).toBe("Program.cs");

    await userEvent.click(screen.getByRole("button", { name: "Properties/" }));
    expect(await screen.findByRole("button", { name: "launchSettings.json" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "workspace" }));
    expect(await screen.findByRole("button", { name: "Program.cs" })).toBeInTheDocument();
  });

  it("stops the workspace after saying what its owner will see", async () => {
    const calls = mockApi({
      [`GET /workspaces/${ID}`]: workspace(),
      [`GET /workspaces/${ID}/files`]: [],
      [`GET /workspaces/${ID}/processes/api/log`]: () => openStream(),
      [`POST /workspaces/${ID}/stop`]: workspace({ status: "stopped", stop_reason: "admin" }),
    });
    renderDetail();
    await userEvent.click(await screen.findByRole("button", { name: "Stop workspace" }));
    const dialog = screen.getByRole("alertdialog", { name: `Stop ${ID}?` });
    expect(dialog).toHaveTextContent("claude-desktop's next call to it gets an error saying an admin stopped it");
    await userEvent.click(within(dialog).getByRole("button", { name: "Stop workspace" }));
    await waitFor(() => expect(dialog).not.toBeInTheDocument());
    expect(calls.filter((call) => call.method === "POST").map((call) => call.path)).toEqual([`/workspaces/${ID}/stop`]);
  });

  it("says a stopped workspace's files are gone and why it stopped, without a Stop button", async () => {
    mockApi({ [`GET /workspaces/${ID}`]: workspace({ status: "stopped", stop_reason: "admin", stopped_at: "2026-12-06T12:03:00Z", processes: [] }) });
    renderDetail();
    expect(await screen.findByText("by an admin")).toBeInTheDocument();
    expect(screen.getByText("Its files are gone")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Stop workspace" })).not.toBeInTheDocument();
    expect(screen.getByText(/not running/)).toBeInTheDocument();
  });
});
