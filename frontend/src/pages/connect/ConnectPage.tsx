import { useMemo, useState } from "react";
import { Link } from "react-router";

import type { ApiTokenCreated } from "../../api/types";
import { Button } from "../../components/Button";
import { CopyBlock } from "../../components/CopyBlock";
import { Dialog } from "../../components/Dialog";
import { PageHeader } from "../../components/PageHeader";
import { Tabs } from "../../components/Tabs";
import { CreateTokenForm } from "../tokens/CreateTokenForm";
import { NewTokenNotice } from "../tokens/NewTokenNotice";
import { clientConfigs, mcpUrl } from "./configs";

/** Copy-ready client configs for this polybox, with a token made on the spot if wanted. */
export function ConnectPage() {
  const url = mcpUrl(window.location.origin);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  const configs = useMemo(() => clientConfigs(url, created?.token ?? null), [url, created]);

  return (
    <>
      <PageHeader
        title="Connect a client"
        description="Point an MCP client at polybox: it can then build tools and call the ones you approve, and run C# and .NET projects."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create token
          </Button>
        }
      />
      <section className="section stack" aria-labelledby="endpoint-heading">
        <h2 id="endpoint-heading">Endpoint</h2>
        <CopyBlock text={url} label="MCP endpoint URL" variant="inline" />
        <p className="muted">
          {created
            ? "The configurations below include your new token as an Authorization header."
            : "Clients on this machine connect without a token in local mode. From another machine, or when polybox runs in remote mode, create a token (clients that support MCP sign-in can log in instead)."}
        </p>
        {created && <NewTokenNotice created={created} />}
      </section>
      <section className="section" aria-labelledby="clients-heading">
        <h2 id="clients-heading">Client configurations</h2>
        <Tabs
          label="MCP clients"
          tabs={configs.map((config) => ({
            id: config.id,
            label: config.name,
            content: (
              <div className="stack">
                <p>
                  Put this in <strong>{config.where}</strong>:
                </p>
                <CopyBlock text={config.text} label={config.label} />
                {config.note && <p className="muted">{config.note}</p>}
              </div>
            ),
          }))}
        />
      </section>
      <section className="section stack" aria-labelledby="tools-heading">
        <h2 id="tools-heading">What a client can do</h2>
        <ul className="stack">
          <li>
            <strong>Build tools</strong> with the <code>polybox_*</code> tools: write a Python tool, ask to publish it,
            and call it as <code>server__tool</code> once you approve it in <Link to="/approvals">Approvals</Link>.
          </li>
          <li>
            <strong>Run .NET</strong> with the <code>dotnet_*</code> tools: run C# snippets on .NET 8, 9 and 10 (
            <code>dotnet_execute_snippet</code>, <code>dotnet_compare_versions</code>), create a project in its own
            workspace (<code>dotnet_create_project</code>), build, test and run it, host a web API and call it (
            <code>dotnet_host_api</code>, <code>dotnet_test_endpoint</code>). You watch and stop workspaces under{" "}
            <Link to="/workspaces">Workspaces</Link>; their limits are in <Link to="/settings/dotnet">Settings → .NET</Link>.
          </li>
        </ul>
        <p className="muted">
          Which of the two tool sets clients see is a deployment setting (<code>POLYBOX_MCP_TOOL_SETS</code>).
        </p>
      </section>
      <p className="muted">
        Tokens you create are listed in <Link to="/settings/tokens">Settings → API tokens</Link>, where you can revoke them.
      </p>
      <Dialog open={creating} title="Create an API token" onClose={() => setCreating(false)}>
        <CreateTokenForm
          defaultName="MCP client"
          onCancel={() => setCreating(false)}
          onCreated={(token) => {
            setCreated(token);
            setCreating(false);
          }}
        />
      </Dialog>
    </>
  );
}
