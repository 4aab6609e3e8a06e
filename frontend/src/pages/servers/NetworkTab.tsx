import { usePendingRequests } from "../../api/approvals";
import { useSetAllowedHosts, useSetAllowedModules } from "../../api/servers";
import type { RequestOut, ServerOut } from "../../api/types";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Spinner } from "../../components/Spinner";
import { RequestTable } from "../approvals/RequestTable";
import { AllowList } from "./AllowList";

/** Pending requests that concern this server (module requests for every server included). */
function PendingForServer({ server }: { server: string }) {
  const modules = usePendingRequests("module");
  const network = usePendingRequests("network");
  if (modules.isError) return <ErrorBanner error={modules.error} />;
  if (network.isError) return <ErrorBanner error={network.error} />;
  if (modules.isPending || network.isPending) return <Spinner label="Loading requests" />;
  const mine = (request: RequestOut) => request.server === server || request.server === null;
  const requests = [...modules.data.items, ...network.data.items].filter(mine);
  return (
    <section className="stack" aria-labelledby="pending-requests-title">
      <h3 id="pending-requests-title">Pending requests</h3>
      <RequestTable
        caption={`Module and network requests for ${server}`}
        requests={requests}
        empty={<p className="muted">Nothing is waiting: no tool of {server} has asked for a module or a host.</p>}
      />
    </section>
  );
}

/** What the server's tools may import and reach, and what they asked for. */
export function NetworkTab({ server }: { server: ServerOut }) {
  const hosts = useSetAllowedHosts(server.name);
  const modules = useSetAllowedModules(server.name);
  return (
    <div className="stack">
      <PendingForServer server={server.name} />
      <div className="two-columns">
        <AllowList
          title="Allowed hosts"
          entries={server.allowed_hosts}
          hint="A host name, or host:port (e.g. api.weather.example:443). A private or loopback address (10.0.0.5, 127.0.0.1:8080, localhost) is allowed here in one step: it also joins the private hosts setting."
          empty="No hosts: the tools cannot reach the network."
          busy={hosts.isPending}
          error={hosts.error}
          markLabel="On my private network (a name that resolves to a private address)"
          onSave={(entries, marked) => hosts.mutate({ hosts: entries, private: marked ? [marked] : [] })}
        />
        <AllowList
          title="Allowed modules"
          entries={server.allowed_modules}
          hint="A top-level Python module (e.g. httpx). Modules allowed for every server are set in Settings."
          empty="No modules of its own: the tools may import the standard library and the global allow-list."
          busy={modules.isPending}
          error={modules.error}
          onSave={(entries) => modules.mutate(entries)}
        />
      </div>
    </div>
  );
}
