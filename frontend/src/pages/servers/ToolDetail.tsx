import { useState } from "react";

import { useRevokeTool } from "../../api/approvals";
import { useSetToolEnabled, useTool } from "../../api/tools";
import type { CodeReport, ToolOut } from "../../api/types";
import { StatusBadge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { CodeView } from "../../components/CodeView";
import { ConfirmDialog } from "../../components/Dialog";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Spinner } from "../../components/Spinner";
import { ToolReviewActions } from "../approvals/ToolReviewActions";
import { VersionHistory } from "./VersionHistory";

function Analysis({ report }: { report: CodeReport }) {
  const issues = [...report.errors.map((issue) => ({ ...issue, error: true })), ...report.warnings.map((issue) => ({ ...issue, error: false }))];
  if (issues.length === 0) return null;
  return (
    <section aria-label="Code analysis">
      <h4>Analysis</h4>
      <ul className="issue-list">
        {issues.map((issue, index) => (
          <li key={index} className={issue.error ? "issue-error" : "issue-warning"}>
            {issue.error ? "Error" : "Warning"}
            {issue.line !== null && ` (line ${issue.line})`}: {issue.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ToolActions({ tool }: { tool: ToolOut }) {
  const toggle = useSetToolEnabled(tool.server, tool.name);
  const revoke = useRevokeTool();
  const [revoking, setRevoking] = useState(false);
  return (
    <div className="stack">
      <div className="button-row">
        <Button busy={toggle.isPending} onClick={() => toggle.mutate(!tool.enabled)}>
          {tool.enabled ? "Disable" : "Enable"}
        </Button>
        {tool.status === "approved" && (
          <Button variant="danger" onClick={() => setRevoking(true)}>
            Revoke approval
          </Button>
        )}
      </div>
      {toggle.isError && <ErrorBanner error={toggle.error} />}
      {tool.status === "pending_review" && <ToolReviewActions server={tool.server} tool={tool.name} />}
      <ConfirmDialog
        open={revoking}
        title={`Revoke approval of ${tool.name}?`}
        confirmLabel="Revoke"
        busy={revoke.isPending}
        error={revoke.isError ? <ErrorBanner error={revoke.error} /> : null}
        onCancel={() => {
          revoke.reset();
          setRevoking(false);
        }}
        onConfirm={() =>
          revoke.mutate({ server: tool.server, tool: tool.name }, { onSuccess: () => setRevoking(false) })
        }
      >
        <p>
          Clients can no longer call <code>{tool.public_name}</code>. The tool waits for review again; approve it
          to bring it back.
        </p>
      </ConfirmDialog>
    </div>
  );
}

function Schema({ title, schema }: { title: string; schema: unknown }) {
  return (
    <section className="schema">
      <h4>{title}</h4>
      {schema ? (
        <CodeView code={JSON.stringify(schema, null, 2)} language="json" label={title} lineNumbers={false} />
      ) : (
        <p>None declared.</p>
      )}
    </section>
  );
}

/** One tool: state and actions, code with its analysis, schemas and version history. */
export function ToolDetail({ server, tool: name }: { server: string; tool: string }) {
  const tool = useTool(server, name);
  if (tool.isPending) return <Spinner label={`Loading ${name}`} />;
  if (tool.isError) return <ErrorBanner error={tool.error} onRetry={() => void tool.refetch()} />;
  const data = tool.data;
  return (
    <article className="card tool-detail" aria-labelledby="tool-detail-title">
      <header className="tool-detail-header">
        <h3 id="tool-detail-title">{data.name}</h3>
        <StatusBadge status={data.status} />
        <StatusBadge status={data.enabled ? "enabled" : "disabled"} />
        <span className="muted">
          MCP name <code>{data.public_name}</code>
        </span>
      </header>
      {data.description && <p>{data.description}</p>}
      {data.review_note && (
        <p className="review-note">
          <strong>Review note:</strong> {data.review_note}
        </p>
      )}
      <ToolActions tool={data} />
      <section>
        <h4>Code (v{data.current_version ?? "—"})</h4>
        {data.code ? <CodeView code={data.code} label={`Code of ${data.name}`} /> : <p>No code saved yet.</p>}
      </section>
      {data.analysis && <Analysis report={data.analysis} />}
      <div className="schema-grid">
        <Schema title="Input schema" schema={data.input_schema} />
        <Schema title="Output schema" schema={data.output_schema} />
      </div>
      <VersionHistory server={server} tool={data} />
    </article>
  );
}
