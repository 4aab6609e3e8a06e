import { Link, useSearchParams } from "react-router";

import { useTools } from "../../api/tools";
import type { ServerOut, ToolOut } from "../../api/types";
import { Badge, StatusBadge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Spinner } from "../../components/Spinner";
import { type Column, Table } from "../../components/Table";
import { ToolDetail } from "./ToolDetail";

/** The server's tools; the one named in `?tool=` opens below the list. */
export function ToolsTab({ server }: { server: ServerOut }) {
  const tools = useTools(server.name);
  const [params, setParams] = useSearchParams();
  const open = params.get("tool");

  const columns: Column<ToolOut>[] = [
    {
      key: "name",
      header: "Tool",
      render: (tool) => (
        <Button
          variant="ghost"
          size="sm"
          className="link-button"
          aria-pressed={tool.name === open}
          onClick={() => setParams(tool.name === open ? {} : { tool: tool.name })}
        >
          {tool.name}
        </Button>
      ),
    },
    { key: "status", header: "Status", render: (tool) => <StatusBadge status={tool.status} /> },
    {
      key: "enabled",
      header: "Shown to clients",
      render: (tool) => <StatusBadge status={tool.enabled ? "enabled" : "disabled"} />,
    },
    {
      key: "versions",
      header: "Version",
      render: (tool) => (
        <>
          v{tool.current_version ?? "—"}
          {tool.approved_version !== null && tool.approved_version !== tool.current_version && (
            <Badge tone="info">v{tool.approved_version} approved</Badge>
          )}
        </>
      ),
    },
    { key: "description", header: "Description", render: (tool) => tool.description || "—" },
  ];

  if (tools.isPending) return <Spinner label="Loading tools" />;
  if (tools.isError) return <ErrorBanner error={tools.error} onRetry={() => void tools.refetch()} />;
  return (
    <div className="stack">
      <Table
        caption={`Tools of ${server.name}`}
        columns={columns}
        rows={tools.data.items}
        rowKey={(tool) => tool.id}
        isSelected={(tool) => tool.name === open}
        empty={
          <EmptyState title="No tools yet">
            <p>
              Tools are written by an LLM over MCP: <Link to="/connect">connect a client</Link> and ask it to add a
              tool to the server “{server.name}”. New tools wait for you in <Link to="/approvals">Approvals</Link>.
            </p>
          </EmptyState>
        }
      />
      {open !== null && <ToolDetail key={open} server={server.name} tool={open} />}
    </div>
  );
}
