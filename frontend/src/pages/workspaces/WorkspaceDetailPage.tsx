import { Link, useParams } from "react-router";

import type { WorkspaceOut } from "../../api/types";
import { useWorkspace } from "../../api/workspaces";
import { StatusBadge } from "../../components/Badge";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { PageHeader } from "../../components/PageHeader";
import { Spinner } from "../../components/Spinner";
import { Table } from "../../components/Table";
import { type Fact, FactsCard } from "../../components/FactsCard";
import { formatTime } from "../servers/format";
import { FilesSection } from "./FilesSection";
import { formatBytes, formatCpu, formatSeconds } from "./format";
import { LogSection } from "./LogSection";
import { StopButton } from "./StopButton";
import { WorkspaceStatus } from "./WorkspaceStatus";
import "./workspaces.css";

function Facts({ workspace }: { workspace: WorkspaceOut }) {
  const running = workspace.status === "running";
  const facts: Fact[] = [
    ["Status", <WorkspaceStatus key="status" workspace={workspace} />],
    ["Owner", workspace.owner],
    [".NET", workspace.version],
    ["Template", workspace.template],
    ["Project", workspace.project],
    ["Created", `${formatTime(workspace.created_at)} (${formatSeconds(workspace.age_seconds)} ago)`],
    running
      ? ["Idle", formatSeconds(workspace.idle_seconds)]
      : ["Stopped", workspace.stopped_at ? formatTime(workspace.stopped_at) : "–"],
    ["Ports", workspace.ports.length ? workspace.ports.join(", ") : "–"],
    ["CPU", formatCpu(workspace.cpu_seconds)],
    ["Memory", formatBytes(workspace.memory_bytes)],
    ["Disk", formatBytes(workspace.disk_bytes)],
  ];
  return <FactsCard facts={facts} />;
}

function Processes({ workspace }: { workspace: WorkspaceOut }) {
  return (
    <section className="section stack" aria-labelledby="processes-heading">
      <h2 id="processes-heading">Processes</h2>
      <Table
        caption={`Processes of ${workspace.id}`}
        rows={workspace.processes}
        rowKey={(process) => process.name}
        empty={<p className="muted">No background process or hosted API.</p>}
        columns={[
          { key: "name", header: "Name", render: (process) => process.name },
          { key: "kind", header: "Kind", render: (process) => (process.kind === "api" ? "hosted API" : "background") },
          {
            key: "state",
            header: "State",
            render: (process) =>
              process.running ? (
                <StatusBadge status="running" />
              ) : (
                <span className="row">
                  <StatusBadge status="stopped" />
                  {process.exit_code !== null && <span className="muted">exit {process.exit_code}</span>}
                </span>
              ),
          },
          { key: "port", header: "Port", render: (process) => process.port ?? "–" },
          { key: "command", header: "Command", render: (process) => <code>{process.argv.join(" ")}</code> },
          { key: "started", header: "Started", render: (process) => formatTime(process.started_at) },
        ]}
      />
    </section>
  );
}

/** One workspace: what it is and uses, its processes, its files (read only) and its live log. */
export function WorkspaceDetailPage() {
  const id = useParams().workspace ?? "";
  const workspace = useWorkspace(id);
  if (workspace.isPending) return <Spinner label={`Loading ${id}`} />;
  if (workspace.isError)
    return (
      <>
        <PageHeader title={id} />
        <ErrorBanner error={workspace.error} onRetry={() => void workspace.refetch()} />
        <Link to="/workspaces">All workspaces</Link>
      </>
    );
  const data = workspace.data;
  const running = data.status === "running";
  return (
    <>
      <PageHeader
        title={data.id}
        description={
          <>
            <Link to="/workspaces">Workspaces</Link> · {data.project} on .NET {data.version}, owned by {data.owner}
          </>
        }
        actions={running ? <StopButton workspace={data} /> : undefined}
      />
      <Facts workspace={data} />
      <Processes workspace={data} />
      {running ? (
        <FilesSection id={data.id} />
      ) : (
        <EmptyState title="Its files are gone">
          <p>A workspace&apos;s files are deleted when it stops.</p>
        </EmptyState>
      )}
      <LogSection id={data.id} processes={data.processes} running={running} />
    </>
  );
}
