import type { DotnetSettingsOut, DotnetVersionOut } from "../../api/types";
import { useDotnetStatus } from "../../api/workspaces";
import { Badge } from "../../components/Badge";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Spinner } from "../../components/Spinner";
import { Table } from "../../components/Table";
import { formatSeconds } from "../workspaces/format";

type Setting = keyof DotnetSettingsOut;
type Unit = "count" | "seconds" | "mb" | "feed";

/** A setting's value as people read it. */
function describe(value: DotnetSettingsOut[Setting], unit: Unit): string {
  if (unit === "feed") return typeof value === "string" ? value : "nuget.org (the default)";
  if (typeof value !== "number") return String(value);
  if (unit === "seconds") return formatSeconds(value);
  return unit === "mb" ? `${value} MB` : String(value);
}

/** The .NET settings by topic: what each is called here and how its value reads. */
const GROUPS: { title: string; settings: [Setting, string, Unit][] }[] = [
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
    ],
  },
  {
    title: "Limits per snippet run",
    settings: [
      ["dotnet_snippet_memory_mb", "Memory", "mb"],
      ["dotnet_snippet_processes", "Processes", "count"],
    ],
  },
  {
    title: "Timeouts",
    settings: [
      ["dotnet_snippet_timeout_seconds", "Snippet run (default)", "seconds"],
      ["dotnet_snippet_max_timeout_seconds", "Snippet run (most a call may ask)", "seconds"],
      ["dotnet_command_timeout_seconds", "Build, run or command (default)", "seconds"],
      ["dotnet_command_max_timeout_seconds", "Build, run or command (most a call may ask)", "seconds"],
    ],
  },
  { title: "Packages", settings: [["dotnet_nuget_source", "NuGet feed", "feed"]] },
];

/** The environment variable that sets a setting, as docs/CONFIGURATION.md lists it. */
function envName(setting: Setting): string {
  return `POLYBOX_${setting.toUpperCase()}`;
}

function VersionState({ version }: { version: DotnetVersionOut }) {
  if (!version.enabled) return <Badge>not enabled</Badge>;
  if (!version.available) return <Badge tone="danger">not prepared</Badge>;
  return <Badge tone="success">available</Badge>;
}

function Versions({ versions }: { versions: DotnetVersionOut[] }) {
  return (
    <section className="section stack" aria-labelledby="dotnet-versions-heading">
      <h2 id="dotnet-versions-heading">Versions</h2>
      <p className="muted">
        What <code>polybox doctor</code> sees of each version. Enable versions with{" "}
        <code>{envName("dotnet_versions")}</code>, pre-warm their compile servers with{" "}
        <code>{envName("dotnet_prewarm_versions")}</code>, and prepare them with <code>polybox dotnet prepare</code>.
      </p>
      <Table
        caption=".NET versions"
        rows={versions}
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
          {
            key: "prewarmed",
            header: "Pre-warmed",
            render: (version) => (version.prewarmed ? (version.warm ? "yes, warm" : "yes, warming") : version.warm ? "no, warm now" : "no"),
          },
          {
            key: "compiler",
            header: "Compile server memory",
            align: "end",
            render: (version) => (version.compiler_rss_mb === null ? "not running" : `${Math.round(version.compiler_rss_mb)} MB`),
          },
        ]}
      />
    </section>
  );
}

function Limits({ settings }: { settings: DotnetSettingsOut }) {
  return (
    <section className="section stack" aria-labelledby="dotnet-limits-heading">
      <h2 id="dotnet-limits-heading">Limits and timeouts</h2>
      <p className="muted">
        Set at start-up by environment variables (docs/CONFIGURATION.md); each LLM call that goes past one gets an error
        saying which.
      </p>
      <div className="grid">
        {GROUPS.map((group) => (
          <div key={group.title} className="card">
            <h3>{group.title}</h3>
            <dl className="facts">
              {group.settings.map(([key, label, unit]) => (
                <div key={key}>
                  <dt>{label}</dt>
                  <dd>
                    <strong>{describe(settings[key], unit)}</strong> <code className="muted">{envName(key)}</code>
                  </dd>
                </div>
              ))}
            </dl>
          </div>
        ))}
      </div>
    </section>
  );
}

/** Settings → .NET: each version's state, and the limits workspaces and snippet runs run under. */
export function DotnetSection() {
  const status = useDotnetStatus();
  if (status.isPending) return <Spinner label="Loading the .NET status" />;
  if (status.isError) return <ErrorBanner error={status.error} onRetry={() => void status.refetch()} />;
  return (
    <>
      <Versions versions={status.data.versions} />
      <Limits settings={status.data.settings} />
    </>
  );
}
