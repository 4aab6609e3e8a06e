import { Link } from "react-router";

import { useDashboard } from "../api/dashboard";
import type { DashboardOut } from "../api/types";
import { BarChart, LineChart } from "../components/charts";
import { EmptyState } from "../components/EmptyState";
import { ErrorBanner } from "../components/ErrorBanner";
import { PageHeader } from "../components/PageHeader";
import { Spinner } from "../components/Spinner";
import { Table } from "../components/Table";
import { DotnetCards } from "./DotnetCards";

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}

function Stat({ value, label, detail }: { value: React.ReactNode; label: string; detail?: React.ReactNode }) {
  return (
    <div className="card stat">
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
      {detail && <span className="muted">{detail}</span>}
    </div>
  );
}

const hourFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function formatMs(value: number | null): string {
  if (value === null) return "–";
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

function Numbers({ data }: { data: DashboardOut }) {
  const pending = data.pending_approvals;
  const pendingTotal = pending.tools + pending.modules + pending.network;
  return (
    <section className="section grid" aria-label="Counts">
      <Stat value={sum(data.servers)} label="Servers" detail={`${data.servers.running ?? 0} running`} />
      <Stat value={sum(data.tools)} label="Tools" detail={`${data.tools.approved ?? 0} approved`} />
      <Stat
        value={pendingTotal}
        label="Pending approvals"
        detail={
          pendingTotal > 0 ? (
            <Link to="/approvals">
              Review {count(pending.tools, "tool")}, {count(pending.modules, "module")}, {count(pending.network, "host")}
            </Link>
          ) : (
            "Nothing waits for you"
          )
        }
      />
      <Stat
        value={data.calls}
        label="Tool calls (24 h)"
        detail={`${data.errors} failed (${(data.error_rate * 100).toFixed(1)} %)`}
      />
    </section>
  );
}

export function DashboardPage() {
  const dashboard = useDashboard();
  if (dashboard.isPending) return <Spinner label="Loading the dashboard" />;
  if (dashboard.isError) return <ErrorBanner error={dashboard.error} onRetry={() => void dashboard.refetch()} />;
  const data = dashboard.data;
  const hours = data.calls_per_hour;
  const noServers = sum(data.servers) === 0;
  return (
    <>
      <PageHeader title="Dashboard" description="What exists, what waits for you, how tool calls went in the last 24 hours, and what runs on .NET." />
      {noServers && (
        <EmptyState title="No servers yet" action={<Link to="/connect">Connect an MCP client</Link>}>
          <p>
            Connect Claude, Cursor or another MCP client to polybox, then ask it to build a tool. Its servers and
            tools appear here, and new code waits in Approvals for you.
          </p>
        </EmptyState>
      )}
      <Numbers data={data} />
      <DotnetCards data={data} />
      <section className="section card" aria-labelledby="calls-heading">
        <h2 id="calls-heading">Calls and errors per hour</h2>
        {data.calls === 0 ? (
          <p className="muted">No tool was called in the last 24 hours.</p>
        ) : (
          <LineChart
            label={`Tool calls and errors per hour over the last 24 hours: ${data.calls} calls, ${data.errors} errors`}
            labels={hours.map((bucket) => hourFormat.format(new Date(bucket.hour)))}
            series={[
              { name: "Calls", values: hours.map((bucket) => bucket.calls), tone: "primary" },
              { name: "Errors", values: hours.map((bucket) => bucket.errors), tone: "danger" },
            ]}
          />
        )}
      </section>
      <section className="section card" aria-labelledby="slowest-heading">
        <h2 id="slowest-heading">Slowest tools</h2>
        {data.slowest_tools.length === 0 ? (
          <p className="muted">Latency shows up here once tools have been called.</p>
        ) : (
          <div className="stack">
            <BarChart
              label="95th percentile latency of the slowest tools"
              bars={data.slowest_tools.map((tool) => ({ label: `${tool.server}__${tool.tool}`, value: tool.p95_ms ?? 0 }))}
              format={(value) => formatMs(value)}
              tone="warning"
            />
            <Table
              caption="Slowest tools"
              columns={[
                {
                  key: "tool",
                  header: "Tool",
                  render: (row) => (
                    <Link to={`/servers/${encodeURIComponent(row.server)}/tools`}>
                      {row.server}__{row.tool}
                    </Link>
                  ),
                },
                { key: "calls", header: "Calls", align: "end", render: (row) => row.calls },
                { key: "errors", header: "Errors", align: "end", render: (row) => row.errors },
                { key: "p50", header: "p50", align: "end", render: (row) => formatMs(row.p50_ms) },
                { key: "p95", header: "p95", align: "end", render: (row) => formatMs(row.p95_ms) },
              ]}
              rows={data.slowest_tools}
              rowKey={(row) => `${row.server}.${row.tool}`}
            />
            {data.latency_sampled && <p className="muted">Percentiles use the most recent calls only.</p>}
          </div>
        )}
      </section>
    </>
  );
}
