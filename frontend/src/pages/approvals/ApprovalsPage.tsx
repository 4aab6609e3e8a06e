import { Link, useNavigate, useParams } from "react-router";

import { type RequestKind, usePendingRequests, useToolReviews } from "../../api/approvals";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { PageHeader } from "../../components/PageHeader";
import { Spinner } from "../../components/Spinner";
import { Tabs } from "../../components/Tabs";
import { BulkBar } from "./BulkBar";
import { ModuleInstalls } from "./ModuleInstalls";
import { RequestTable } from "./RequestTable";
import { ToolReviewPanel } from "./ToolReviewPanel";
import { useSelection } from "./useSelection";
import "../servers/servers.css";

const QUEUES = ["tools", "modules", "network"] as const;
type Queue = (typeof QUEUES)[number];

function ToolQueue() {
  const reviews = useToolReviews();
  const items = reviews.data?.items ?? [];
  const selection = useSelection(items.map((review) => `${review.tool.server}/${review.tool.name}`));
  if (reviews.isPending) return <Spinner label="Loading tools to review" />;
  if (reviews.isError) return <ErrorBanner error={reviews.error} onRetry={() => void reviews.refetch()} />;
  if (items.length === 0) {
    return (
      <EmptyState title="No tools waiting for review">
        <p>
          When an LLM adds or changes a tool over MCP, it shows up here with its code changes. Nothing to do
          until then; the <Link to="/servers">Servers</Link> page lists the tools already approved.
        </p>
      </EmptyState>
    );
  }
  return (
    <div className="stack">
      <BulkBar
        noun="tools"
        selectedCount={selection.selected.length}
        total={items.length}
        onSelectAll={selection.setAll}
        onDone={selection.clear}
        decisions={(action, note) =>
          items
            .filter((review) => selection.isSelected(`${review.tool.server}/${review.tool.name}`))
            .map((review) => ({ kind: "tool", action, server: review.tool.server, tool: review.tool.name, note }))
        }
      />
      {items.map((review) => {
        const key = `${review.tool.server}/${review.tool.name}`;
        return (
          <ToolReviewPanel
            key={key}
            review={review}
            selected={selection.isSelected(key)}
            onSelectedChange={(on) => selection.set(key, on)}
          />
        );
      })}
    </div>
  );
}

function RequestQueue({ kind }: { kind: RequestKind }) {
  const requests = usePendingRequests(kind);
  const items = requests.data?.items ?? [];
  const selection = useSelection(items.map((request) => request.id));
  const noun = kind === "module" ? "module requests" : "network requests";
  if (requests.isPending) return <Spinner label={`Loading ${noun}`} />;
  if (requests.isError) return <ErrorBanner error={requests.error} onRetry={() => void requests.refetch()} />;
  return (
    <div className="stack">
      <BulkBar
        noun={noun}
        selectedCount={selection.selected.length}
        total={items.length}
        onSelectAll={selection.setAll}
        onDone={selection.clear}
        decisions={(action, note) => selection.selected.map((id) => ({ kind, action, id, note }))}
      />
      <RequestTable
        caption={kind === "module" ? "Pending module requests" : "Pending network requests"}
        requests={items}
        selection={{ isSelected: selection.isSelected, onChange: selection.set }}
        empty={
          <EmptyState title={`No ${noun} waiting`}>
            <p>
              {kind === "module"
                ? "When a tool needs a Python module that is not allowed yet, the LLM asks for it here."
                : "When a tool needs to reach a host that is not allowed yet, the LLM asks for it here."}{" "}
              You can also allow modules and hosts yourself on a server's “Network & Modules” tab.
            </p>
          </EmptyState>
        }
      />
      {kind === "module" && <ModuleInstalls />}
    </div>
  );
}

/** The review queues: tools (with their diffs), module requests and network requests. */
export function ApprovalsPage() {
  const { queue } = useParams();
  const navigate = useNavigate();
  const selected: Queue = QUEUES.includes(queue as Queue) ? (queue as Queue) : "tools";
  const tools = useToolReviews();
  const modules = usePendingRequests("module");
  const network = usePendingRequests("network");
  const count = (total: number | undefined) => (total ? ` (${total})` : "");
  return (
    <>
      <PageHeader title="Approvals" description="Tools, modules and network access waiting for your decision." />
      <Tabs
        label="Approval queues"
        selected={selected}
        onSelect={(id) => void navigate(`/approvals/${id}`, { flushSync: true })}
        tabs={[
          { id: "tools", label: `Tools${count(tools.data?.total)}`, content: <ToolQueue /> },
          { id: "modules", label: `Modules${count(modules.data?.total)}`, content: <RequestQueue kind="module" /> },
          { id: "network", label: `Network${count(network.data?.total)}`, content: <RequestQueue kind="network" /> },
        ]}
      />
    </>
  );
}
