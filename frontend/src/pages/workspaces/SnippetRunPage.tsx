import { Link, useParams } from "react-router";

import { useSnippetRun } from "../../api/snippets";
import type { SnippetRunOut } from "../../api/types";
import { useDotnetSettings } from "../../api/workspaces";
import { StatusBadge } from "../../components/Badge";
import { CodeView } from "../../components/CodeView";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { PageHeader } from "../../components/PageHeader";
import { Spinner } from "../../components/Spinner";
import { type Fact, FactsCard } from "../../components/FactsCard";
import { formatDuration, formatTime } from "../servers/format";
import "./workspaces.css";

const ACTORS: Record<SnippetRunOut["actor_kind"], string> = { llm: "an LLM", admin: "an admin", system: "polybox" };
const RETENTION = "dotnet_snippet_code_retention_days";

function Facts({ run }: { run: SnippetRunOut }) {
  const facts: Fact[] = [
    ["Outcome", <StatusBadge key="outcome" status={run.outcome} />],
    ["Owner", `${run.owner} (${ACTORS[run.actor_kind]})`],
    [".NET", run.version],
    ["Duration", formatDuration(run.duration_ms)],
    ["When", <time key="when" dateTime={run.created_at}>{formatTime(run.created_at)}</time>],
    ["Code SHA-256", <code key="hash">{run.code_hash}</code>],
  ];
  return <FactsCard facts={facts} />;
}

/** What replaces the code once the retention job erased it: after how long, and that the hash stays. */
function Erased() {
  const settings = useDotnetSettings();
  const days = settings.data?.find((setting) => setting.name === RETENTION)?.value;
  const title = typeof days === "number" ? `Code erased after ${days} ${days === 1 ? "day" : "days"}` : "Code erased";
  return (
    <EmptyState title={title}>
      <p>
        Snippet code is kept only for a while (<Link to="/settings/dotnet">Settings → .NET</Link>). Its SHA-256 is kept
        above: the same code still gives the same hash.
      </p>
    </EmptyState>
  );
}

/** One C# snippet run: who ran it on which .NET, how it ended, and its code while it is kept. */
export function SnippetRunPage() {
  const id = useParams().run ?? "";
  const run = useSnippetRun(id);
  const title = `Snippet run ${id}`;
  if (run.isPending) return <Spinner label={`Loading snippet run ${id}`} />;
  if (run.isError)
    return (
      <>
        <PageHeader title={title} />
        <ErrorBanner error={run.error} onRetry={() => void run.refetch()} />
        <Link to="/dotnet/snippets">All snippet runs</Link>
      </>
    );
  const data = run.data;
  return (
    <>
      <PageHeader
        title={title}
        description={
          <>
            <Link to="/dotnet/snippets">Snippet runs</Link> · C# on .NET {data.version}, run by {data.owner}
          </>
        }
      />
      <Facts run={data} />
      <section className="section stack" aria-labelledby="code-heading">
        <h2 id="code-heading">Code</h2>
        {data.code === null ? (
          <Erased />
        ) : (
          <CodeView code={data.code} language="csharp" label={`Code of snippet run ${data.id}`} />
        )}
      </section>
    </>
  );
}
