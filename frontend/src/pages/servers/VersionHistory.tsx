import { useState } from "react";

import { useRollbackTool, useToolDiff, useToolVersions } from "../../api/tools";
import type { ToolOut, ToolVersionOut } from "../../api/types";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/Dialog";
import { DiffView } from "../../components/DiffView";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SelectField } from "../../components/Field";
import { Spinner } from "../../components/Spinner";
import { type Column, Table } from "../../components/Table";
import { formatTime } from "./format";

const AUTHORS: Record<string, string> = { llm: "LLM", admin: "admin", import: "import", rollback: "rollback" };

/** The pair compared first: the approved version (else the one before current) against the current one. */
export function defaultPair(versions: ToolVersionOut[]): { from: number | null; to: number | null } {
  const current = versions.find((version) => version.is_current) ?? versions[0];
  if (!current) return { from: null, to: null };
  const approved = versions.find((version) => version.is_approved && version.number !== current.number);
  const previous = versions.find((version) => version.number < current.number);
  return { from: (approved ?? previous ?? current).number, to: current.number };
}

function Compare({ server, tool, versions }: { server: string; tool: string; versions: ToolVersionOut[] }) {
  const initial = defaultPair(versions);
  const [from, setFrom] = useState(initial.from);
  const [to, setTo] = useState(initial.to);
  const diff = useToolDiff(server, tool, from, to);
  const options = versions.map((version) => ({
    value: String(version.number),
    label: `v${version.number}${version.is_current ? " (current)" : ""}${version.is_approved ? " (approved)" : ""}`,
  }));
  return (
    <section className="stack" aria-label="Compare versions">
      <div className="toolbar">
        <SelectField
          label="Compare from"
          options={options}
          value={String(from ?? "")}
          onChange={(event) => setFrom(Number(event.target.value))}
        />
        <SelectField
          label="to"
          options={options}
          value={String(to ?? "")}
          onChange={(event) => setTo(Number(event.target.value))}
        />
      </div>
      {from === to ? (
        <p>Choose two different versions to see what changed.</p>
      ) : diff.isError ? (
        <ErrorBanner error={diff.error} />
      ) : diff.data ? (
        <DiffView
          patch={diff.data.diff}
          oldLabel={`v${from}`}
          newLabel={`v${to}`}
          emptyText={`v${from} and v${to} have the same code.`}
        />
      ) : (
        <Spinner label="Loading the diff" />
      )}
    </section>
  );
}

/** Every saved version, a side-by-side diff between any two, and rollback to an old one. */
export function VersionHistory({ server, tool }: { server: string; tool: ToolOut }) {
  const versions = useToolVersions(server, tool.name);
  const rollback = useRollbackTool(server, tool.name);
  const [target, setTarget] = useState<number | null>(null);

  const columns: Column<ToolVersionOut>[] = [
    {
      key: "number",
      header: "Version",
      render: (version) => (
        <>
          v{version.number} {version.is_current && <Badge tone="info">current</Badge>}{" "}
          {version.is_approved && <Badge tone="success">approved</Badge>}
        </>
      ),
    },
    { key: "author", header: "Author", render: (version) => AUTHORS[version.author] ?? version.author },
    { key: "saved", header: "Saved", render: (version) => formatTime(version.created_at) },
    { key: "description", header: "Description", render: (version) => version.description || "—" },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      render: (version) =>
        version.is_current ? null : (
          <Button size="sm" aria-label={`Roll back to version ${version.number}`} onClick={() => setTarget(version.number)}>
            Roll back
          </Button>
        ),
    },
  ];

  return (
    <section className="stack" aria-labelledby="version-history-title">
      <h4 id="version-history-title">Version history</h4>
      {versions.isPending && <Spinner label="Loading versions" />}
      {versions.isError && <ErrorBanner error={versions.error} onRetry={() => void versions.refetch()} />}
      {versions.data && (
        <>
          <Table
            caption={`Versions of ${tool.name}`}
            columns={columns}
            rows={versions.data.items}
            rowKey={(version) => version.number}
          />
          {versions.data.items.length > 1 && (
            <Compare
              key={tool.current_version ?? 0}
              server={server}
              tool={tool.name}
              versions={versions.data.items}
            />
          )}
        </>
      )}
      <ConfirmDialog
        open={target !== null}
        title={`Roll back ${tool.name} to version ${target ?? ""}?`}
        confirmLabel="Roll back"
        busy={rollback.isPending}
        error={rollback.isError ? <ErrorBanner error={rollback.error} /> : null}
        onCancel={() => {
          rollback.reset();
          setTarget(null);
        }}
        onConfirm={() => {
          if (target !== null) rollback.mutate(target, { onSuccess: () => setTarget(null) });
        }}
      >
        <p>
          The code of version {target} becomes the current code again, saved as a new version. As with any change,
          the approval resets: the tool waits for review before clients can call it again.
        </p>
      </ConfirmDialog>
    </section>
  );
}
