import type { DotnetVersionOut, StartupSettingOut } from "../../api/types";
import { useDotnetSettings, useDotnetStatus } from "../../api/workspaces";
import { Badge } from "../../components/Badge";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Spinner } from "../../components/Spinner";
import { Table } from "../../components/Table";
import { formatSeconds } from "../workspaces/format";

type Unit = "count" | "seconds" | "mb" | "feed" | "list";

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

/** A setting's value as people read it. */
function describe(value: unknown, unit: Unit): string {
  if (unit === "feed") return typeof value === "string" && value ? value : "nuget.org (the default)";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return typeof value === "string" ? value : JSON.stringify(value);
  if (unit === "seconds") return formatSeconds(value);
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

function Group({ title, items }: { title: string; items: [StartupSettingOut, string, Unit][] }) {
  return (
    <div className="card">
      <h3>{title}</h3>
      <dl className="facts">
        {items.map(([setting, label, unit]) => (
          <div key={setting.name}>
            <dt title={setting.description}>{label}</dt>
            <dd>
              <strong>{describe(setting.value, unit)}</strong> <code className="muted">{setting.env}</code>
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function Limits() {
  const settings = useDotnetSettings();
  const byName = new Map((settings.data ?? []).map((setting) => [setting.name, setting]));
  const shown = new Set(GROUPS.flatMap((group) => group.settings.map(([name]) => name)));
  const groups = GROUPS.map((group) => ({
    title: group.title,
    items: group.settings.flatMap(([name, label, unit]): [StartupSettingOut, string, Unit][] => {
      const setting = byName.get(name);
      return setting ? [[setting, label, unit]] : [];
    }),
  }));
  const others = (settings.data ?? [])
    .filter((setting) => !shown.has(setting.name))
    .map((setting): [StartupSettingOut, string, Unit] => [setting, setting.name, "count"]);
  return (
    <section className="section stack" aria-labelledby="dotnet-limits-heading">
      <h2 id="dotnet-limits-heading">Limits and timeouts</h2>
      <p className="muted">
        Set at start-up by the environment variable next to each (docs/CONFIGURATION.md); an LLM call that goes past
        one gets an error saying which.
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

/** Settings → .NET: each version's state, and the settings workspaces and snippet runs run by. */
export function DotnetSection() {
  return (
    <>
      <Versions />
      <Limits />
    </>
  );
}
