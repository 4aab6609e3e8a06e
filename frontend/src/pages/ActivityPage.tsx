import { useCallback, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { type ActivityFilter, type StreamState, useActivity, useActivityStream } from "../api/activity";
import type { ActivityOut, ActorKind } from "../api/types";
import { summary, targetLabel } from "./activityText";
import { snippetRunPath } from "./workspaces/snippetRun";
import { Badge, type Tone } from "../components/Badge";
import { Button } from "../components/Button";
import { EmptyState } from "../components/EmptyState";
import { ErrorBanner } from "../components/ErrorBanner";
import { SelectField, TextField } from "../components/Field";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { Spinner } from "../components/Spinner";
import { Table } from "../components/Table";

const FILTER_KEYS = ["actor_kind", "actor_name", "action", "target_kind", "since", "until"] as const;
const LIVE_LIMIT = 100;
const PAGE_SIZE = 50;

const ACTOR_OPTIONS = [
  { value: "", label: "Anyone" },
  { value: "admin", label: "Admins" },
  { value: "llm", label: "LLMs (MCP clients)" },
  { value: "system", label: "polybox itself" },
];

const ACTOR_TONES: Record<ActorKind, Tone> = { admin: "info", llm: "warning", system: "neutral" };
const ACTOR_NAMES: Record<ActorKind, string> = { admin: "admin", llm: "LLM", system: "system" };

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** A datetime-local value (the browser's zone) as ISO 8601 with a zone, or "" when unset or invalid. */
export function localToIso(value: string): string {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

/** An ISO time as a datetime-local value in the browser's zone ("" when unset or invalid). */
export function isoToLocal(value: string | undefined): string {
  const date = new Date(value ?? "");
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function filterFromParams(params: URLSearchParams): ActivityFilter {
  const filter: ActivityFilter = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) filter[key] = value as never;
  }
  return filter;
}

const STREAM_TEXT: Record<StreamState, string> = {
  off: "Live updates are off",
  connecting: "Connecting…",
  live: "Live: new activity appears as it happens",
  reconnecting: "Connection lost; reconnecting…",
  failed: "Live updates stopped",
};

function FilterForm({ initial, onApply }: { initial: ActivityFilter; onApply: (filter: ActivityFilter) => void }) {
  const [draft, setDraft] = useState(() => ({
    actor_kind: initial.actor_kind ?? "",
    actor_name: initial.actor_name ?? "",
    action: initial.action ?? "",
    target_kind: initial.target_kind ?? "",
    since: isoToLocal(initial.since),
    until: isoToLocal(initial.until),
  }));
  const set = (key: keyof typeof draft) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setDraft((current) => ({ ...current, [key]: event.target.value }));

  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    onApply({
      actor_kind: draft.actor_kind,
      actor_name: draft.actor_name.trim(),
      action: draft.action.trim(),
      target_kind: draft.target_kind.trim(),
      since: localToIso(draft.since),
      until: localToIso(draft.until),
    });
  };

  return (
    <form className="card filters" onSubmit={onSubmit} aria-label="Filter activity">
      <SelectField label="Who" options={ACTOR_OPTIONS} value={draft.actor_kind} onChange={set("actor_kind")} />
      <TextField label="Actor name" placeholder="e.g. alice" value={draft.actor_name} onChange={set("actor_name")} />
      <TextField label="Action" placeholder="e.g. tool.approved" value={draft.action} onChange={set("action")} />
      <TextField label="Target kind" placeholder="e.g. tool" value={draft.target_kind} onChange={set("target_kind")} />
      <TextField label="From" type="datetime-local" value={draft.since} onChange={set("since")} />
      <TextField label="Until" type="datetime-local" value={draft.until} onChange={set("until")} />
      <div className="row filters-actions">
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        <Button
          onClick={() => {
            setDraft({ actor_kind: "", actor_name: "", action: "", target_kind: "", since: "", until: "" });
            onApply({});
          }}
        >
          Clear
        </Button>
      </div>
    </form>
  );
}

export function ActivityPage() {
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => filterFromParams(params), [params]);
  const page = Math.max(1, Number(params.get("page")) || 1);
  const [live, setLive] = useState(true);
  const [liveRows, setLiveRows] = useState<ActivityOut[]>([]);
  const activity = useActivity(filter, page, PAGE_SIZE);

  // Live rows belong on the first page of an open-ended window (no `until`).
  const following = live && page === 1 && !filter.until;
  const onRow = useCallback((row: ActivityOut) => setLiveRows((rows) => [row, ...rows].slice(0, LIVE_LIMIT)), []);
  const stream = useActivityStream(filter, following, onRow);

  const rows = useMemo(() => {
    const seen = new Set<number>();
    const merged = [...(following ? liveRows : []), ...(activity.data?.items ?? [])];
    return merged.filter((row) => !seen.has(row.id) && seen.add(row.id)).sort((a, b) => b.id - a.id);
  }, [following, liveRows, activity.data]);

  const apply = (next: ActivityFilter) => {
    const search = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = next[key];
      if (value) search.set(key, value);
    }
    setLiveRows([]);
    setParams(search);
  };
  const goTo = (target: number) => {
    const search = new URLSearchParams(params);
    search.set("page", String(target));
    setParams(search);
  };

  const filtered = FILTER_KEYS.some((key) => filter[key]);
  const pages = activity.data?.pages ?? 1;
  return (
    <>
      <PageHeader
        title="Activity"
        description="Who changed what: admins, LLMs through MCP, and polybox itself."
        actions={
          <label className="checkbox">
            <input type="checkbox" checked={live} onChange={(event) => setLive(event.target.checked)} />
            Live updates
          </label>
        }
      />
      <FilterForm key={params.toString()} initial={filter} onApply={apply} />
      <p className="muted stream-state" role="status">
        {following ? STREAM_TEXT[stream.state] : live ? "Live updates show on the first page without an end time." : STREAM_TEXT.off}
      </p>
      {stream.state === "failed" && <ErrorBanner title="Live updates stopped" error={stream.error} />}
      {activity.isError && <ErrorBanner error={activity.error} onRetry={() => void activity.refetch()} />}
      {activity.isPending ? (
        <Spinner label="Loading activity" />
      ) : (
        <Table
          caption="Activity, newest first"
          rows={rows}
          rowKey={(row) => row.id}
          empty={
            <EmptyState title={filtered ? "Nothing matches these filters" : "No activity yet"}>
              <p>
                {filtered
                  ? "Clear or widen the filters to see more."
                  : "Actions of admins and LLMs (creating servers and tools, approvals, settings) are recorded here as they happen."}
              </p>
            </EmptyState>
          }
          columns={[
            {
              key: "time",
              header: "When",
              render: (row) => <time dateTime={row.created_at}>{timeFormat.format(new Date(row.created_at))}</time>,
            },
            {
              key: "actor",
              header: "Who",
              render: (row) => (
                <span className="row">
                  <Badge tone={ACTOR_TONES[row.actor_kind]}>{ACTOR_NAMES[row.actor_kind]}</Badge>
                  {row.actor_name}
                </span>
              ),
            },
            { key: "action", header: "Action", render: (row) => <code>{row.action}</code> },
            {
              key: "target",
              header: "Target",
              render: (row) =>
                row.target_kind === "snippet_run" && row.target_id ? (
                  <Link to={snippetRunPath(row.target_id)}>{targetLabel(row)}</Link>
                ) : (
                  targetLabel(row)
                ),
            },
            { key: "details", header: "Details", render: (row) => <span className="details">{summary(row.details)}</span> },
          ]}
        />
      )}
      <Pager label="Pages" page={page} pages={pages} onPage={goTo} />
    </>
  );
}
