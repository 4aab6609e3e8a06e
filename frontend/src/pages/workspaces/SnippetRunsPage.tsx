import { Link, useSearchParams } from "react-router";

import { useSnippetRuns } from "../../api/snippets";
import type { SnippetRunOut } from "../../api/types";
import { StatusBadge } from "../../components/Badge";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { Spinner } from "../../components/Spinner";
import { type Column, Table } from "../../components/Table";
import { formatDuration, formatTime } from "../servers/format";
import { shortHash, snippetRunPath } from "./snippetRun";

const PAGE_SIZE = 50;

const COLUMNS: Column<SnippetRunOut>[] = [
  {
    key: "run",
    header: "Run",
    render: (run) => (
      <Link to={snippetRunPath(run.id)} className="strong-link">
        Run {run.id}
      </Link>
    ),
  },
  { key: "when", header: "When", render: (run) => <time dateTime={run.created_at}>{formatTime(run.created_at)}</time> },
  { key: "owner", header: "Owner", render: (run) => run.owner },
  { key: "version", header: ".NET", render: (run) => run.version },
  { key: "outcome", header: "Outcome", render: (run) => <StatusBadge status={run.outcome} /> },
  { key: "duration", header: "Duration", align: "end", render: (run) => formatDuration(run.duration_ms) },
  {
    key: "code",
    header: "Code",
    render: (run) => (
      <span className="row">
        <code title={`SHA-256 ${run.code_hash}`}>{shortHash(run.code_hash)}</code>
        {run.code === null && <span className="muted">erased</span>}
      </span>
    ),
  },
];

/** Every C# snippet an LLM ran, newest first: who, on which .NET, how it ended, how long it took. */
export function SnippetRunsPage() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const runs = useSnippetRuns(page, PAGE_SIZE);
  const goTo = (target: number) => setParams(target > 1 ? { page: String(target) } : {});
  return (
    <>
      <PageHeader
        title="Snippet runs"
        description={
          <>
            C# snippets LLMs ran with <code>dotnet_execute_snippet</code>, one row per .NET version. The code is kept for a
            while (<Link to="/settings/dotnet">Settings → .NET</Link>), then only its SHA-256.
          </>
        }
      />
      {runs.isPending && <Spinner label="Loading snippet runs" />}
      {runs.isError && <ErrorBanner error={runs.error} onRetry={() => void runs.refetch()} />}
      {runs.data && (
        <>
          <Table
            caption="Snippet runs, newest first"
            columns={COLUMNS}
            rows={runs.data.items}
            rowKey={(run) => run.id}
            empty={
              <EmptyState title="No snippet runs yet" action={<Link to="/connect">Connect an MCP client</Link>}>
                <p>
                  When an LLM calls <code>dotnet_execute_snippet</code> each run shows here with its code.
                </p>
              </EmptyState>
            }
          />
          <Pager label="Snippet run pages" page={page} pages={runs.data.pages} onPage={goTo} />
        </>
      )}
    </>
  );
}
