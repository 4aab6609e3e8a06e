import { Link } from "react-router";

import type { WorkspaceOut } from "../../api/types";
import { useWorkspaceEvents, useWorkspaces } from "../../api/workspaces";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { PageHeader } from "../../components/PageHeader";
import { Spinner } from "../../components/Spinner";
import { type Column, Table } from "../../components/Table";
import { CleanupButton } from "./CleanupButton";
import { formatBytes, formatCpu, formatSeconds } from "./format";
import { WorkspaceStatus } from "./WorkspaceStatus";
import "./workspaces.css";

const STREAM_TEXT = {
  off: "Live updates are off",
  connecting: "Connecting…",
  live: "Live: new workspaces appear as LLMs create them",
  reconnecting: "Connection lost; reconnecting…",
  failed: "Live updates stopped; the list still refreshes every few seconds",
};

const COLUMNS: Column<WorkspaceOut>[] = [
  {
    key: "id",
    header: "Workspace",
    render: (workspace) => (
      <Link to={`/workspaces/${encodeURIComponent(workspace.id)}`} className="strong-link">
        {workspace.id}
      </Link>
    ),
  },
  { key: "owner", header: "Owner", render: (workspace) => workspace.owner },
  { key: "version", header: ".NET", render: (workspace) => workspace.version },
  { key: "template", header: "Template", render: (workspace) => workspace.template },
  { key: "status", header: "Status", render: (workspace) => <WorkspaceStatus workspace={workspace} /> },
  {
    key: "ports",
    header: "Ports",
    render: (workspace) => (workspace.ports.length ? workspace.ports.join(", ") : "–"),
  },
  { key: "cpu", header: "CPU", align: "end", render: (workspace) => formatCpu(workspace.cpu_seconds) },
  { key: "memory", header: "Memory", align: "end", render: (workspace) => formatBytes(workspace.memory_bytes) },
  { key: "age", header: "Age", align: "end", render: (workspace) => formatSeconds(workspace.age_seconds) },
  {
    key: "idle",
    header: "Idle",
    align: "end",
    render: (workspace) => (workspace.status === "running" ? formatSeconds(workspace.idle_seconds) : "–"),
  },
];

/** Every .NET workspace of this polybox, live: who owns it, what runs in it, what it uses. */
export function WorkspacesPage() {
  const workspaces = useWorkspaces();
  const stream = useWorkspaceEvents();
  const items = workspaces.data ?? [];
  const running = items.filter((workspace) => workspace.status === "running").length;
  return (
    <>
      <PageHeader
        title="Workspaces"
        description="The .NET projects LLMs build and run: one isolated workspace each, stopped when idle."
        actions={<CleanupButton running={running} />}
      />
      <p className="muted stream-state" role="status">
        {STREAM_TEXT[stream]}
      </p>
      {workspaces.isPending && <Spinner label="Loading workspaces" />}
      {workspaces.isError && <ErrorBanner error={workspaces.error} onRetry={() => void workspaces.refetch()} />}
      {workspaces.data && (
        <Table
          caption="Workspaces"
          columns={COLUMNS}
          rows={items}
          rowKey={(workspace) => workspace.id}
          empty={
            <EmptyState title="No workspaces yet" action={<Link to="/connect">Connect an MCP client</Link>}>
              <p>
                When an LLM calls <code>dotnet_create_project</code> its workspace shows here: its files, its log and
                the APIs it hosts, with a button to stop it.
              </p>
            </EmptyState>
          }
        />
      )}
    </>
  );
}
