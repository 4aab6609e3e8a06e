import { Fragment, useState } from "react";

import type { ExecutionLogOut } from "../../api/types";
import { StatusBadge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { CodeView } from "../../components/CodeView";
import { formatDuration, formatTime } from "./format";

interface ErrorInfo {
  type?: string;
  message?: string;
  line?: number | null;
  traceback?: string;
}

function LogDetail({ log }: { log: ExecutionLogOut }) {
  const error = log.error as ErrorInfo | null;
  return (
    <div className="log-detail stack">
      {error && (
        <section>
          <h4>Error</h4>
          <p>
            <strong>{error.type ?? "Error"}</strong>: {error.message ?? ""}
            {error.line !== null && error.line !== undefined && ` (line ${error.line})`}
          </p>
          {error.traceback && <CodeView code={error.traceback} language="plain" label="Traceback" lineNumbers={false} />}
        </section>
      )}
      <section>
        <h4>Output (stdout)</h4>
        {log.stdout ? (
          <CodeView code={log.stdout} language="plain" label="Output" lineNumbers={false} />
        ) : (
          <p className="muted">Nothing printed.</p>
        )}
      </section>
      <section>
        <h4>Arguments</h4>
        <CodeView code={JSON.stringify(log.arguments, null, 2)} language="json" label="Arguments" lineNumbers={false} />
      </section>
      {!error && (
        <section>
          <h4>Result</h4>
          <CodeView code={JSON.stringify(log.result ?? null, null, 2)} language="json" label="Result" lineNumbers={false} />
        </section>
      )}
      {log.client_id && <p className="muted">Client: {log.client_id}</p>}
    </div>
  );
}

/** Execution logs as a table; "Details" opens a row's output, error and arguments under it. */
export function LogTable({ logs, caption }: { logs: ExecutionLogOut[]; caption: string }) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (id: number) =>
    setOpen((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Tool</th>
            <th scope="col">Status</th>
            <th scope="col" className="align-end">
              Duration
            </th>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {logs.map((log) => {
            const expanded = open.has(log.id);
            const detailId = `log-detail-${log.id}`;
            return (
              <Fragment key={log.id}>
                <tr>
                  <td>
                    <time dateTime={log.created_at}>{formatTime(log.created_at)}</time>
                  </td>
                  <td>{log.tool}</td>
                  <td>
                    <StatusBadge status={log.status} />
                  </td>
                  <td className="align-end">{formatDuration(log.duration_ms)}</td>
                  <td>
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-expanded={expanded}
                      aria-controls={expanded ? detailId : undefined}
                      aria-label={`Details of the ${log.tool} call at ${formatTime(log.created_at)}`}
                      onClick={() => toggle(log.id)}
                    >
                      {expanded ? "Hide" : "Details"}
                    </Button>
                  </td>
                </tr>
                {expanded && (
                  <tr id={detailId} className="log-detail-row">
                    <td colSpan={5}>
                      <LogDetail log={log} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
