import { Link } from "react-router";

import type { DashboardOut } from "../api/types";
import { LineChart } from "../components/charts";
import { Table } from "../components/Table";
import { formatDuration } from "./servers/format";

const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

function formatMs(value: number | null): string {
  return value === null ? "–" : formatDuration(value);
}

/** The dashboard's .NET cards: running workspaces, snippet runs and failures per day, latency per version. */
export function DotnetCards({ data }: { data: DashboardOut }) {
  const { snippets, running_workspaces: running } = data;
  const days = snippets.per_day;
  const versions = Object.entries(running);
  const runningTotal = versions.reduce((total, [, count]) => total + count, 0);
  const runs = days.reduce((total, day) => total + day.runs, 0);
  const failures = days.reduce((total, day) => total + day.failures, 0);
  return (
    <>
      <section className="section grid" aria-label=".NET counts">
        <div className="card stat">
          <span className="stat-value">{runningTotal}</span>
          <span className="stat-label">Running workspaces</span>
          <span className="muted">{versions.map(([version, count]) => `.NET ${version}: ${count}`).join(", ")}</span>
          <Link to="/workspaces">See workspaces</Link>
        </div>
        <div className="card stat">
          <span className="stat-value">{runs}</span>
          <span className="stat-label">C# snippet runs ({days.length} days)</span>
          <span className="muted">{failures} failed</span>
          <Link to="/dotnet/snippets">See snippet runs</Link>
        </div>
      </section>
      <section className="section card" aria-labelledby="snippets-heading">
        <h2 id="snippets-heading">C# snippet runs per day</h2>
        {runs === 0 ? (
          <p className="muted">No snippet ran in these {days.length} days.</p>
        ) : (
          <LineChart
            label={`C# snippet runs and failures per day: ${runs} runs, ${failures} failed`}
            labels={days.map((day) => dayFormat.format(new Date(day.day)))}
            series={[
              { name: "Runs", values: days.map((day) => day.runs), tone: "primary" },
              { name: "Failures", values: days.map((day) => day.failures), tone: "danger" },
            ]}
          />
        )}
        {snippets.per_version.length > 0 && (
          <Table
            caption="Snippet latency per .NET version"
            showCaption
            rows={snippets.per_version}
            rowKey={(row) => row.version}
            columns={[
              { key: "version", header: "Version", render: (row) => `.NET ${row.version}` },
              { key: "runs", header: "Runs", align: "end", render: (row) => row.runs },
              { key: "failures", header: "Failures", align: "end", render: (row) => row.failures },
              { key: "p50", header: "p50", align: "end", render: (row) => formatMs(row.p50_ms) },
              { key: "p95", header: "p95", align: "end", render: (row) => formatMs(row.p95_ms) },
            ]}
          />
        )}
      </section>
    </>
  );
}
