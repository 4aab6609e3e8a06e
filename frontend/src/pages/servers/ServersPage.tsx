import { useState } from "react";
import { Link } from "react-router";

import { type ServerFilters, useServers } from "../../api/servers";
import type { ServerOut, ServerStatus } from "../../api/types";
import { StatusBadge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Input, Select } from "../../components/Input";
import { PageHeader } from "../../components/PageHeader";
import { Spinner } from "../../components/Spinner";
import { type Column, Table } from "../../components/Table";
import { CreateServerDialog } from "./CreateServerDialog";
import { ToolCounts } from "./ToolCounts";
import { ExportButton, ImportDialog } from "./TransferControls";
import "./servers.css";

const STATUS_OPTIONS = [
  { value: "", label: "Any status" },
  { value: "running", label: "Running" },
  { value: "stopped", label: "Stopped" },
];

const COLUMNS: Column<ServerOut>[] = [
  {
    key: "name",
    header: "Server",
    render: (server) => (
      <Link to={`/servers/${encodeURIComponent(server.name)}`} className="strong-link">
        {server.name}
      </Link>
    ),
  },
  { key: "status", header: "Status", render: (server) => <StatusBadge status={server.status} /> },
  { key: "tools", header: "Tools", render: (server) => <ToolCounts counts={server.tool_counts} /> },
  { key: "description", header: "Description", render: (server) => server.description || "—" },
];

/** Every server, its status and how many tools it has in each approval state. */
export function ServersPage() {
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const [filters, setFilters] = useState<ServerFilters>({});
  const servers = useServers(filters);
  const filtered = filters.status !== undefined || Boolean(filters.name_contains);

  const createButton = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      Create server
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Servers"
        description="The servers your LLMs built, and their tools."
        actions={
          <>
            <Button onClick={() => setImporting(true)}>Import</Button>
            <ExportButton label="Export all" />
            {createButton}
          </>
        }
      />
      <div className="toolbar" role="search" aria-label="Filter servers">
        <Input
          type="search"
          aria-label="Name contains"
          placeholder="Filter by name"
          maxLength={64}
          value={filters.name_contains ?? ""}
          onChange={(event) => setFilters({ ...filters, name_contains: event.target.value || undefined })}
        />
        <Select
          aria-label="Status"
          options={STATUS_OPTIONS}
          value={filters.status ?? ""}
          onChange={(event) =>
            setFilters({ ...filters, status: (event.target.value || undefined) as ServerStatus | undefined })
          }
        />
      </div>
      {servers.isPending && <Spinner label="Loading servers" />}
      {servers.isError && <ErrorBanner error={servers.error} onRetry={() => void servers.refetch()} />}
      {servers.data && (
        <Table
          caption="Servers"
          columns={COLUMNS}
          rows={servers.data.items}
          rowKey={(server) => server.id}
          empty={
            filtered ? (
              <EmptyState title="No server matches these filters">Clear the filters to see every server.</EmptyState>
            ) : (
              <EmptyState title="No servers yet" action={createButton}>
                <p>
                  A server groups tools that clients call over MCP. Create one here, or{" "}
                  <Link to="/connect">connect an LLM client</Link> and ask it to build one, e.g. “create a
                  polybox server with a tool that fetches the weather”. Its tools then wait for you in
                  Approvals.
                </p>
              </EmptyState>
            )
          }
        />
      )}
      <CreateServerDialog open={creating} onClose={() => setCreating(false)} />
      <ImportDialog open={importing} onClose={() => setImporting(false)} />
    </>
  );
}
