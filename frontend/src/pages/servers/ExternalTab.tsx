import { useState } from "react";

import { ApiError } from "../../api/client";
import {
  type SourceAuth,
  type SourceOut,
  type SourceTransport,
  useAddSource,
  useCheckSource,
  useRemoveSource,
  useSources,
  useStartSourceOAuth,
} from "../../api/external";
import { Badge, type Tone } from "../../components/Badge";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/Dialog";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SelectField, TextField } from "../../components/Field";
import { Spinner } from "../../components/Spinner";
import { DiscoverTools } from "./DiscoverTools";
import { formatTime } from "./format";

const HEALTH_TONES: Record<string, Tone> = { healthy: "success", unhealthy: "danger", unknown: "neutral" };

const AUTH_OPTIONS = [
  { value: "none", label: "None" },
  { value: "bearer", label: "Bearer token (from a server secret)" },
  { value: "oauth", label: "OAuth" },
];

const TRANSPORT_OPTIONS = [
  { value: "streamable_http", label: "Streamable HTTP" },
  { value: "sse", label: "SSE (legacy)" },
];

function AddSourceForm({ server }: { server: string }) {
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [auth, setAuth] = useState<SourceAuth>("none");
  const [transport, setTransport] = useState<SourceTransport>("streamable_http");
  const [secretKey, setSecretKey] = useState("");
  const add = useAddSource(server);
  const fields = add.error instanceof ApiError ? add.error.fieldErrors : {};
  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    add.mutate(
      {
        name: name.trim(),
        url: url.trim(),
        auth,
        transport,
        secret_key: auth === "bearer" ? secretKey.trim() : null,
      },
      {
        onSuccess: () => {
          setName("");
          setUrl("");
          setSecretKey("");
        },
      },
    );
  };
  return (
    <form className="card form" aria-label="Add an external source" onSubmit={onSubmit}>
      <h3>Add an external source</h3>
      <TextField
        label="Name"
        required
        autoComplete="off"
        hint="Lowercase letters, digits and _, e.g. github."
        value={name}
        error={fields.name}
        onChange={(event) => setName(event.target.value)}
      />
      <TextField
        label="URL"
        type="url"
        required
        placeholder="https://mcp.example.com/mcp"
        hint="The source's MCP endpoint; it must be allowed by this server's network policy."
        value={url}
        error={fields.url}
        onChange={(event) => setUrl(event.target.value)}
      />
      <SelectField
        label="Transport"
        options={TRANSPORT_OPTIONS}
        value={transport}
        onChange={(event) => setTransport(event.target.value as SourceTransport)}
      />
      <SelectField
        label="Authentication"
        options={AUTH_OPTIONS}
        value={auth}
        onChange={(event) => setAuth(event.target.value as SourceAuth)}
      />
      {auth === "bearer" && (
        <TextField
          label="Secret key"
          required
          autoComplete="off"
          hint="The server secret holding the token (set its value on the Secrets tab)."
          value={secretKey}
          error={fields.secret_key}
          onChange={(event) => setSecretKey(event.target.value)}
        />
      )}
      <div className="button-row">
        <Button type="submit" variant="primary" busy={add.isPending} disabled={!name.trim() || !url.trim()}>
          Add source
        </Button>
      </div>
      {add.isError && Object.keys(fields).length === 0 && <ErrorBanner error={add.error} />}
    </form>
  );
}

/**
 * Connecting is two steps: polybox registers with the source's authorization server and returns
 * its URL, then the admin consents there in a new tab (a link, so no popup blocker intervenes);
 * the source's callback page says when it is done, and "Check health" shows the result here.
 */
function OAuthConnect(props: { source: SourceOut; pending: boolean; url: string | undefined; onStart: () => void }) {
  const { source, pending, url, onStart } = props;
  if (url) {
    return (
      <p className="banner banner-warning">
        <a href={url} target="_blank" rel="noopener noreferrer">
          Continue to the sign-in page of {new URL(url).host}
        </a>{" "}
        to let polybox use {source.name}; then come back and choose Check health.
      </p>
    );
  }
  return (
    <div className="button-row">
      <Button size="sm" variant="primary" busy={pending} onClick={onStart}>
        {source.oauth_connected ? `Reconnect ${source.name}` : `Connect ${source.name}`}
      </Button>
    </div>
  );
}

function SourceCard({ server, source, onRemove }: { server: string; source: SourceOut; onRemove: () => void }) {
  const check = useCheckSource(server);
  const connect = useStartSourceOAuth(server);
  const [discovering, setDiscovering] = useState(false);
  return (
    <section className="card stack" aria-label={`Source ${source.name}`}>
      <header className="tool-detail-header">
        <h3>{source.name}</h3>
        <Badge tone={HEALTH_TONES[source.health] ?? "neutral"}>{source.health}</Badge>
        <code className="muted">{source.url}</code>
      </header>
      <p className="muted">
        {source.transport === "sse" ? "SSE" : "Streamable HTTP"} ·{" "}
        {source.auth_kind === "bearer"
          ? `bearer token from secret ${source.auth_secret_key ?? "?"}`
          : source.auth_kind === "oauth"
            ? source.oauth_connected
              ? "OAuth, connected"
              : "OAuth, not connected yet"
            : "no authentication"}
        {source.last_checked_at && ` · checked ${formatTime(source.last_checked_at)}`}
      </p>
      {source.last_error && <p className="issue-error">Last error: {source.last_error}</p>}
      <p>
        {source.tools.length > 0 ? `Imported tools: ${source.tools.join(", ")}` : "No tools imported from it yet."}
      </p>
      {source.auth_kind === "oauth" && (
        <OAuthConnect source={source} pending={connect.isPending} onStart={() => connect.mutate(source.name)}
          url={connect.data?.authorization_url} />
      )}
      <div className="button-row">
        <Button size="sm" busy={check.isPending} onClick={() => check.mutate(source.name)}>
          Check health
        </Button>
        <Button size="sm" aria-expanded={discovering} onClick={() => setDiscovering(!discovering)}>
          {discovering ? "Hide tools" : "Discover tools"}
        </Button>
        <Button size="sm" variant="danger" aria-label={`Remove ${source.name}`} onClick={onRemove}>
          Remove
        </Button>
      </div>
      {check.isError && <ErrorBanner error={check.error} />}
      {connect.isError && <ErrorBanner error={connect.error} />}
      {discovering && <DiscoverTools server={server} source={source.name} />}
    </section>
  );
}

/** Other MCP servers whose tools this server passes through (each imported tool needs approval). */
export function ExternalTab({ server }: { server: string }) {
  const sources = useSources(server);
  const remove = useRemoveSource(server);
  const [removing, setRemoving] = useState<string | null>(null);
  return (
    <div className="stack">
      {sources.isPending && <Spinner label="Loading external sources" />}
      {sources.isError && <ErrorBanner error={sources.error} onRetry={() => void sources.refetch()} />}
      {sources.data?.length === 0 && (
        <EmptyState title="No external sources">
          <p>
            Add another MCP server by its URL to pass its tools through this one: discover what it offers, import the
            tools you want, then approve them like any other tool.
          </p>
        </EmptyState>
      )}
      {sources.data?.map((source) => (
        <SourceCard key={source.id} server={server} source={source} onRemove={() => setRemoving(source.name)} />
      ))}
      <AddSourceForm server={server} />
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing ?? ""}?`}
        confirmLabel="Remove"
        busy={remove.isPending}
        error={remove.isError ? <ErrorBanner error={remove.error} /> : null}
        onCancel={() => {
          remove.reset();
          setRemoving(null);
        }}
        onConfirm={() => {
          if (removing !== null) remove.mutate(removing, { onSuccess: () => setRemoving(null) });
        }}
      >
        <p>The source and every tool imported from it are removed from this server.</p>
      </ConfirmDialog>
    </div>
  );
}
