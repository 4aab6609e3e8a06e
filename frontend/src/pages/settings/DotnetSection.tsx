import { useId, useRef, useState } from "react";

import { ApiError } from "../../api/client";
import type { DotnetSettingOut, DotnetVersionOut } from "../../api/types";
import {
  useDotnetSettings,
  useDotnetStatus,
  useResetDotnetSetting,
  useUpdateDotnetSettings,
} from "../../api/workspaces";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { ErrorBanner, SuccessBanner } from "../../components/ErrorBanner";
import { Field } from "../../components/Field";
import { Input } from "../../components/Input";
import { Spinner } from "../../components/Spinner";
import { Table } from "../../components/Table";
import { formatBytes, formatSeconds } from "../workspaces/format";
import "./dotnet.css";

type Unit = "count" | "seconds" | "mb" | "bytes" | "days" | "feed" | "list";

/** What a number's unit is called next to its input. */
const UNIT_NAMES: Partial<Record<Unit, string>> = { seconds: "seconds", mb: "MB", bytes: "bytes", days: "days" };

/** The settings shown by topic, each with what it is called here and how its value reads. */
const GROUPS: { title: string; settings: [string, string, Unit][] }[] = [
  {
    title: "Versions",
    settings: [
      ["dotnet_versions", "Enabled", "list"],
      ["dotnet_prewarm_versions", "Pre-warmed", "list"],
    ],
  },
  {
    title: "Workspaces per client",
    settings: [
      ["dotnet_workspace_max_running_per_client", "Running at once", "count"],
      ["dotnet_workspace_max_per_client", "Kept in all", "count"],
      ["dotnet_workspace_idle_timeout_seconds", "Stopped after idling", "seconds"],
    ],
  },
  {
    title: "Limits per workspace",
    settings: [
      ["dotnet_workspace_memory_mb", "Memory", "mb"],
      ["dotnet_workspace_processes", "Processes", "count"],
      ["dotnet_workspace_disk_mb", "Disk", "mb"],
      ["dotnet_workspace_cpu_seconds", "CPU time per process", "seconds"],
      ["dotnet_workspace_tmp_size_mb", "Temporary files (/tmp)", "mb"],
    ],
  },
  {
    title: "Limits per snippet run",
    settings: [
      ["dotnet_snippet_memory_mb", "Memory", "mb"],
      ["dotnet_snippet_processes", "Processes", "count"],
      ["dotnet_snippet_tmp_size_mb", "Temporary files (/tmp)", "mb"],
      ["dotnet_output_limit_bytes", "Output kept per stream", "bytes"],
    ],
  },
  {
    title: "Timeouts",
    settings: [
      ["dotnet_snippet_timeout_seconds", "Snippet run (default)", "seconds"],
      ["dotnet_snippet_max_timeout_seconds", "Snippet run (most a call may ask)", "seconds"],
      ["dotnet_command_timeout_seconds", "Build, run or command (default)", "seconds"],
      ["dotnet_command_max_timeout_seconds", "Build, run or command (most a call may ask)", "seconds"],
      ["dotnet_host_ready_timeout_seconds", "Hosted API ready", "seconds"],
    ],
  },
  {
    title: "Code and packages",
    settings: [
      ["dotnet_snippet_code_retention_days", "Snippet code kept", "days"],
      ["dotnet_nuget_source", "NuGet feed", "feed"],
    ],
  },
  {
    title: "Compile servers",
    settings: [
      ["dotnet_compiler_memory_mb", "Memory", "mb"],
      ["dotnet_compiler_recycle_mb", "Restarted above", "mb"],
      ["dotnet_compile_timeout_seconds", "Compile timeout", "seconds"],
    ],
  },
  { title: "MCP tools", settings: [["mcp_tool_sets", "Tool sets offered", "list"]] },
];

/** A setting's value as people read it. */
function describe(value: unknown, unit: Unit): string {
  if (unit === "feed") return typeof value === "string" && value ? value : "nuget.org (the default)";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return typeof value === "string" ? value : JSON.stringify(value);
  if (unit === "seconds") return formatSeconds(value);
  if (unit === "bytes") return formatBytes(value);
  if (unit === "days") return `${value} ${value === 1 ? "day" : "days"}`;
  return unit === "mb" ? `${value} MB` : String(value);
}

function VersionState({ version }: { version: DotnetVersionOut }) {
  if (!version.enabled) return <Badge>not enabled</Badge>;
  if (!version.available) return <Badge tone="danger">not prepared</Badge>;
  return <Badge tone="success">available</Badge>;
}

function prewarmText(version: DotnetVersionOut): string {
  if (version.prewarmed) return version.warm ? "yes, warm" : "yes, warming";
  return version.warm ? "no, warm now" : "no";
}

function Versions() {
  const status = useDotnetStatus();
  return (
    <section className="section stack" aria-labelledby="dotnet-versions-heading">
      <h2 id="dotnet-versions-heading">Versions</h2>
      <p className="muted">
        What <code>polybox doctor</code> sees of each version, and its compile server now. Prepare a version with{" "}
        <code>polybox dotnet prepare</code>.
      </p>
      {status.isPending && <Spinner label="Loading the .NET versions" />}
      {status.isError && <ErrorBanner error={status.error} onRetry={() => void status.refetch()} />}
      {status.data && (
        <Table
          caption=".NET versions"
          rows={status.data}
          rowKey={(version) => version.version}
          columns={[
            { key: "version", header: "Version", render: (version) => `.NET ${version.version}` },
            {
              key: "state",
              header: "Status",
              render: (version) => (
                <span className="stack">
                  <VersionState version={version} />
                  {version.fix && <span className="muted">Fix: {version.fix}</span>}
                </span>
              ),
            },
            { key: "runtime", header: "Runtime", render: (version) => version.runtime || "–" },
            { key: "prewarmed", header: "Pre-warmed", render: prewarmText },
            {
              key: "compiler",
              header: "Compile server memory",
              align: "end",
              render: (version) =>
                version.compiler_memory_mb === null ? "not running" : `${Math.round(version.compiler_memory_mb)} MB`,
            },
          ]}
        />
      )}
    </section>
  );
}

/** An input's value: the text of a number or feed, the chosen items of a list. */
type Draft = string | string[];

function draftOf(value: unknown): Draft {
  if (Array.isArray(value)) return value.map((item) => String(item));
  if (typeof value === "number" || typeof value === "string") return String(value);
  return "";
}

/** `record` without `key`. */
function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([name]) => name !== key));
}

function sameDraft(a: Draft, b: Draft): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The value to send for a draft, or the reason it cannot be sent. */
function parse(setting: DotnetSettingOut, draft: Draft): { value: unknown } | { error: string } {
  if (Array.isArray(draft)) return { value: (setting.choices ?? []).filter((choice) => draft.includes(choice)) };
  const text = draft.trim();
  if (setting.kind === "string") return { value: text || null };
  const number = Number(text);
  if (text === "" || !Number.isFinite(number)) return { error: "Enter a number." };
  if (setting.kind === "integer" && !Number.isInteger(number)) return { error: "Enter a whole number." };
  return { value: number };
}

/** "128 to 65536" (or "above 0 up to 3600") for a number's hint. */
function range(setting: DotnetSettingOut): string {
  const { minimum, maximum } = setting;
  if (minimum === null && maximum === null) return "";
  const low = minimum === null ? "" : setting.exclusive_minimum ? `above ${minimum}` : `${minimum}`;
  if (maximum === null) return setting.exclusive_minimum ? low : `at least ${low}`;
  return low ? `${low} ${setting.exclusive_minimum ? "up to" : "to"} ${maximum}` : `up to ${maximum}`;
}

interface Item {
  setting: DotnetSettingOut;
  label: string;
  unit: Unit;
}

interface ControlProps {
  item: Item;
  draft: Draft;
  error: string | undefined;
  onChange: (draft: Draft) => void;
  focusRef: (element: HTMLInputElement | null) => void;
}

/** The versions (or other choices) as checkboxes in a fieldset that names its error. */
function ChoicesControl({ item, draft, error, onChange, focusRef }: ControlProps) {
  const errorId = `${useId()}-error`;
  const chosen = Array.isArray(draft) ? draft : [];
  return (
    <fieldset aria-describedby={error ? errorId : undefined} aria-invalid={error ? true : undefined}>
      <legend>{item.label}</legend>
      <div className="row">
        {(item.setting.choices ?? []).map((choice, index) => (
          <label key={choice} className="checkbox">
            <input
              type="checkbox"
              ref={index === 0 ? focusRef : undefined}
              checked={chosen.includes(choice)}
              onChange={(event) =>
                onChange(event.target.checked ? [...chosen, choice] : chosen.filter((other) => other !== choice))
              }
            />
            {item.setting.name.endsWith("_versions") ? `.NET ${choice}` : choice}
          </label>
        ))}
      </div>
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

function InputControl({ item, draft, error, onChange, focusRef }: ControlProps) {
  const { setting, unit } = item;
  const unitName = UNIT_NAMES[unit];
  const numeric = setting.kind === "integer" || setting.kind === "number";
  const hint = numeric
    ? [range(setting), unitName].filter(Boolean).join(" ")
    : unit === "feed"
      ? "A v3 index URL or a folder's absolute path; empty: nuget.org (or the host's NuGet configuration)."
      : undefined;
  return (
    <Field label={unitName ? `${item.label} (${unitName})` : item.label} hint={hint} error={error}>
      {(control) => (
        <Input
          {...control}
          ref={focusRef}
          type={numeric ? "number" : "text"}
          inputMode={setting.kind === "integer" ? "numeric" : numeric ? "decimal" : undefined}
          step={setting.kind === "integer" ? 1 : "any"}
          placeholder={numeric ? undefined : "nuget.org"}
          value={typeof draft === "string" ? draft : ""}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}

/** One changeable setting: its control, its variable, and when an admin changed it, the startup value and Reset. */
function EditableSetting({
  item,
  onReset,
  resetting,
  ...control
}: ControlProps & { onReset: () => void; resetting: boolean }) {
  const { setting, label, unit } = item;
  const Control = setting.kind === "choices" ? ChoicesControl : InputControl;
  return (
    <div className="stack dotnet-setting">
      <Control item={item} {...control} />
      <p className="row muted dotnet-setting-source">
        <code title={setting.description}>{setting.env}</code>
        {setting.overridden && (
          <>
            <Badge tone="info">changed here</Badge>
            <span>startup value: {describe(setting.startup_value, unit)}</span>
            <Button size="sm" busy={resetting} onClick={onReset} aria-label={`Reset ${label} to its startup value`}>
              Reset
            </Button>
          </>
        )}
      </p>
    </div>
  );
}

/**
 * One topic's settings: the changeable ones as a form saved together (only the changed fields
 * are sent; the API checks them all and writes none if one is wrong), the others read only with
 * the variable that sets them at start-up.
 */
function Group({ title, items }: { title: string; items: Item[] }) {
  const update = useUpdateDotnetSettings();
  const reset = useResetDotnetSetting();
  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const controls = useRef(new Map<string, HTMLInputElement>());
  const headingId = `dotnet-${title.toLowerCase().replaceAll(" ", "-")}-heading`;
  const editable = items.filter((item) => item.setting.editable);
  const fixed = items.filter((item) => !item.setting.editable);
  const draftOfItem = (item: Item) => drafts[item.setting.name] ?? draftOf(item.setting.value);
  const changed = editable.filter((item) => !sameDraft(draftOfItem(item), draftOf(item.setting.value)));
  const served = update.error instanceof ApiError ? update.error.fieldErrors : {};
  const errors = { ...served, ...invalid };

  const edit = (name: string, draft: Draft) => {
    update.reset();
    setNotice("");
    setInvalid((current) => without(current, name));
    setDrafts((current) => ({ ...current, [name]: draft }));
  };

  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    const changes: Record<string, unknown> = {};
    const problems: Record<string, string> = {};
    for (const item of changed) {
      const parsed = parse(item.setting, draftOfItem(item));
      if ("error" in parsed) problems[item.setting.name] = parsed.error;
      else changes[item.setting.name] = parsed.value;
    }
    setInvalid(problems);
    if (Object.keys(problems).length > 0) return;
    update.mutate(changes, {
      onSuccess: () => {
        setDrafts({});
        setNotice(`Saved: ${changed.map((item) => item.label).join(", ")}. The next call uses the new values.`);
      },
    });
  };

  const onReset = (item: Item) => {
    update.reset();
    setNotice("");
    reset.mutate(item.setting.name, {
      onSuccess: () => {
        setDrafts((current) => without(current, item.setting.name));
        setNotice(`${item.label} is back to its startup value, ${describe(item.setting.startup_value, item.unit)}.`);
        controls.current.get(item.setting.name)?.focus();
      },
    });
  };

  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      {editable.length > 0 && (
        <form className="stack" noValidate onSubmit={onSubmit} aria-labelledby={headingId}>
          {update.isError && <ErrorBanner title="Nothing was saved" error={update.error} />}
          {reset.isError && <ErrorBanner title="The setting was not reset" error={reset.error} />}
          {notice && <SuccessBanner>{notice}</SuccessBanner>}
          {editable.map((item) => (
            <EditableSetting
              key={item.setting.name}
              item={item}
              draft={draftOfItem(item)}
              error={errors[item.setting.name]}
              onChange={(draft) => edit(item.setting.name, draft)}
              focusRef={(element) => {
                if (element) controls.current.set(item.setting.name, element);
                else controls.current.delete(item.setting.name);
              }}
              onReset={() => onReset(item)}
              resetting={reset.isPending && reset.variables === item.setting.name}
            />
          ))}
          <div className="row">
            <Button type="submit" variant="primary" busy={update.isPending} disabled={changed.length === 0}>
              Save
            </Button>
          </div>
        </form>
      )}
      {fixed.length > 0 && (
        <dl className="facts">
          {fixed.map(({ setting, label, unit }) => (
            <div key={setting.name}>
              <dt title={setting.description}>{label}</dt>
              <dd>
                <strong>{describe(setting.value, unit)}</strong> <code className="muted">{setting.env}</code>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

function Limits() {
  const settings = useDotnetSettings();
  const byName = new Map((settings.data ?? []).map((setting) => [setting.name, setting]));
  const shown = new Set(GROUPS.flatMap((group) => group.settings.map(([name]) => name)));
  const groups = GROUPS.map((group) => ({
    title: group.title,
    items: group.settings.flatMap(([name, label, unit]): Item[] => {
      const setting = byName.get(name);
      return setting ? [{ setting, label, unit }] : [];
    }),
  }));
  const others = (settings.data ?? [])
    .filter((setting) => !shown.has(setting.name))
    .map((setting): Item => ({ setting, label: setting.name, unit: "count" }));
  return (
    <section className="section stack" aria-labelledby="dotnet-limits-heading">
      <h2 id="dotnet-limits-heading">Limits and timeouts</h2>
      <p className="muted">
        A change made here applies to the next call on every polybox replica (a running workspace keeps the limits it
        started with) and wins over the environment variable next to it until it is reset. The others are set at
        start-up by their variable (docs/CONFIGURATION.md). An LLM call that goes past a limit gets an error saying
        which.
      </p>
      {settings.isPending && <Spinner label="Loading the .NET settings" />}
      {settings.isError && <ErrorBanner error={settings.error} onRetry={() => void settings.refetch()} />}
      {settings.data && (
        <div className="grid">
          {groups
            .filter((group) => group.items.length > 0)
            .map((group) => (
              <Group key={group.title} title={group.title} items={group.items} />
            ))}
          {others.length > 0 && <Group title="Other" items={others} />}
        </div>
      )}
    </section>
  );
}

/** Settings → .NET: each version's state, and the settings workspaces and snippet runs run by (most changeable here). */
export function DotnetSection() {
  return (
    <>
      <Versions />
      <Limits />
    </>
  );
}
