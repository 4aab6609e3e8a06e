import { useState } from "react";

import { type LogFilters, useLogs } from "../../api/logs";
import { useTools } from "../../api/tools";
import type { ExecutionStatus } from "../../api/types";
import { Button } from "../../components/Button";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SelectField } from "../../components/Field";
import { Pager } from "../../components/Pager";
import { Spinner } from "../../components/Spinner";
import { LogTable } from "./LogRows";

const PERIODS = [
  { value: "", label: "Any time" },
  { value: "1", label: "Last hour" },
  { value: "24", label: "Last 24 hours" },
  { value: "168", label: "Last 7 days" },
];

const STATUSES = [
  { value: "", label: "Any status" },
  { value: "ok", label: "ok" },
  { value: "error", label: "error" },
  { value: "timeout", label: "timeout" },
];

function since(hours: string): string | undefined {
  return hours ? new Date(Date.now() - Number(hours) * 3_600_000).toISOString() : undefined;
}

/** The server's execution logs, newest first, filtered by tool, status and period. */
export function LogsTab({ server }: { server: string }) {
  const tools = useTools(server);
  const [tool, setTool] = useState("");
  const [status, setStatus] = useState("");
  // The start of a period is fixed when it is chosen, so paging keeps the same window.
  const [period, setPeriod] = useState<{ hours: string; since: string | undefined }>({ hours: "", since: undefined });
  const [page, setPage] = useState(1);
  const filters: LogFilters = {
    server,
    tool: tool || undefined,
    status: (status || undefined) as ExecutionStatus | undefined,
    since: period.since,
    page,
  };
  const logs = useLogs(filters);
  const filtered = Boolean(tool || status || period.hours);
  const toolOptions = [
    { value: "", label: "Every tool" },
    ...(tools.data?.items ?? []).map((item) => ({ value: item.name, label: item.name })),
  ];
  const change = (set: (value: string) => void) => (event: React.ChangeEvent<HTMLSelectElement>) => {
    set(event.target.value);
    setPage(1);
  };

  return (
    <div className="stack">
      <div className="toolbar" role="search" aria-label="Filter logs">
        <SelectField label="Tool" options={toolOptions} value={tool} onChange={change(setTool)} />
        <SelectField label="Status" options={STATUSES} value={status} onChange={change(setStatus)} />
        <SelectField
          label="Period"
          options={PERIODS}
          value={period.hours}
          onChange={change((hours) => setPeriod({ hours, since: since(hours) }))}
        />
        <Button size="sm" onClick={() => void logs.refetch()}>
          Refresh
        </Button>
      </div>
      {logs.isPending && <Spinner label="Loading logs" />}
      {logs.isError && <ErrorBanner error={logs.error} onRetry={() => void logs.refetch()} />}
      {logs.data &&
        (logs.data.items.length === 0 ? (
          filtered ? (
            <EmptyState title="No calls match these filters">Widen the period or clear the filters.</EmptyState>
          ) : (
            <EmptyState title="No calls yet">
              <p>Each call of an approved tool by an MCP client is logged here, with its output and any error.</p>
            </EmptyState>
          )
        ) : (
          <>
            <LogTable logs={logs.data.items} caption={`Execution logs of ${server}`} />
            <Pager label="Log pages" page={logs.data.page} pages={logs.data.pages} onPage={setPage} />
          </>
        ))}
    </div>
  );
}
