import { useNavigate, useParams } from "react-router";

import { useServer } from "../../api/servers";
import { StatusBadge } from "../../components/Badge";
import { ErrorBanner } from "../../components/ErrorBanner";
import { PageHeader } from "../../components/PageHeader";
import { Spinner } from "../../components/Spinner";
import { Tabs } from "../../components/Tabs";
import { ExternalTab } from "./ExternalTab";
import { LogsTab } from "./LogsTab";
import { NetworkTab } from "./NetworkTab";
import { PowerButton } from "./PowerButton";
import { SecretsTab } from "./SecretsTab";
import { SettingsTab } from "./SettingsTab";
import { ToolCounts } from "./ToolCounts";
import { ToolsTab } from "./ToolsTab";
import "./servers.css";

const TAB_IDS = ["tools", "secrets", "network", "external", "logs", "settings"] as const;
type TabId = (typeof TAB_IDS)[number];

function isTab(value: string | undefined): value is TabId {
  return TAB_IDS.includes(value as TabId);
}

/** One server: its tools, secrets, allow-lists, logs and settings, one tab each (the tab is in the URL). */
export function ServerDetailPage() {
  const { server: name = "", tab } = useParams();
  const navigate = useNavigate();
  const server = useServer(name);
  const selected: TabId = isTab(tab) ? tab : "tools";

  if (server.isPending) return <Spinner label="Loading the server" />;
  if (server.isError) {
    return (
      <>
        <PageHeader title={name} />
        <ErrorBanner error={server.error} onRetry={() => void server.refetch()} />
      </>
    );
  }
  const data = server.data;
  return (
    <>
      <PageHeader
        title={data.name}
        description={
          <span className="server-summary">
            <StatusBadge status={data.status} /> <ToolCounts counts={data.tool_counts} />
            {data.description && <span> — {data.description}</span>}
          </span>
        }
        actions={<PowerButton server={data} />}
      />
      {/* flushSync: the URL (the selected tab) must follow each arrow key at once, not in a transition. */}
      <Tabs
        label={`Server ${data.name}`}
        selected={selected}
        onSelect={(id) => void navigate(`/servers/${encodeURIComponent(data.name)}/${id}`, { flushSync: true })}
        tabs={[
          { id: "tools", label: "Tools", content: <ToolsTab server={data} /> },
          { id: "secrets", label: "Secrets", content: <SecretsTab server={data.name} /> },
          { id: "network", label: "Network & Modules", content: <NetworkTab server={data} /> },
          { id: "external", label: "External sources", content: <ExternalTab server={data.name} /> },
          { id: "logs", label: "Logs", content: <LogsTab server={data.name} /> },
          { id: "settings", label: "Settings", content: <SettingsTab server={data} /> },
        ]}
      />
    </>
  );
}
