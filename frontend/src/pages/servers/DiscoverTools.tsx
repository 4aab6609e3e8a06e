import { Link } from "react-router";

import { useDiscovery, useImportSourceTools } from "../../api/external";
import { Button } from "../../components/Button";
import { ErrorBanner, SuccessBanner } from "../../components/ErrorBanner";
import { Spinner } from "../../components/Spinner";
import { useSelection } from "../approvals/useSelection";

/** What the source offers now; pick tools and import them (they then wait in Approvals). */
export function DiscoverTools({ server, source }: { server: string; source: string }) {
  const discovery = useDiscovery(server, source, true);
  const importing = useImportSourceTools(server, source);
  const offered = discovery.data?.tools ?? [];
  const selection = useSelection(offered.filter((tool) => !tool.imported).map((tool) => tool.remote_name));

  if (discovery.isPending) return <Spinner label={`Asking ${source} for its tools`} />;
  if (discovery.isError) return <ErrorBanner error={discovery.error} onRetry={() => void discovery.refetch()} />;
  if (offered.length === 0) return <p className="muted">{source} offers no tools.</p>;
  return (
    <div className="stack">
      <fieldset className="stack">
        <legend>Tools offered by {source}</legend>
        {offered.map((tool) => (
          <label key={tool.remote_name} className="checkbox">
            <input
              type="checkbox"
              disabled={tool.imported}
              checked={tool.imported || selection.isSelected(tool.remote_name)}
              onChange={(event) => selection.set(tool.remote_name, event.target.checked)}
            />
            <span>
              <strong>{tool.remote_name}</strong>
              {tool.local_name !== tool.remote_name && <> (here: {tool.local_name})</>}
              {tool.imported && " — imported"}
              {tool.description && <span className="muted"> — {tool.description}</span>}
            </span>
          </label>
        ))}
      </fieldset>
      <div className="button-row">
        <Button
          variant="primary"
          size="sm"
          busy={importing.isPending}
          disabled={selection.selected.length === 0}
          onClick={() => importing.mutate(selection.selected, { onSuccess: selection.clear })}
        >
          Import selected
        </Button>
      </div>
      {importing.isError && <ErrorBanner error={importing.error} />}
      {importing.isSuccess && (
        <SuccessBanner>
          {importing.data.tools.length} imported. They wait for your review in <Link to="/approvals">Approvals</Link>.
        </SuccessBanner>
      )}
    </div>
  );
}
