import { useState } from "react";
import { Link } from "react-router";

import { useRevokeToken, useTokens } from "../../api/tokens";
import type { ApiTokenCreated, ApiTokenOut } from "../../api/types";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Spinner } from "../../components/Spinner";
import { Table } from "../../components/Table";
import { CreateTokenForm } from "../tokens/CreateTokenForm";
import { NewTokenNotice } from "../tokens/NewTokenNotice";
import { formatDate } from "./format";

function tokenState(token: ApiTokenOut): { label: string; tone: "success" | "neutral" | "danger" } {
  if (token.revoked_at) return { label: "revoked", tone: "neutral" };
  if (token.expires_at && new Date(token.expires_at) < new Date()) return { label: "expired", tone: "danger" };
  return { label: "active", tone: "success" };
}

/** API tokens for MCP clients: create (shown once), list, revoke. */
export function TokensSection() {
  const [showRevoked, setShowRevoked] = useState(false);
  const tokens = useTokens(showRevoked ? null : false);
  const revoke = useRevokeToken();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiTokenOut | null>(null);

  return (
    <section className="section" aria-labelledby="tokens-heading">
      <div className="section-header">
        <h2 id="tokens-heading">API tokens</h2>
        <div className="row">
          <label className="checkbox">
            <input type="checkbox" checked={showRevoked} onChange={(event) => setShowRevoked(event.target.checked)} />
            Show revoked
          </label>
          <Button variant="primary" onClick={() => setCreating(true)}>
            New token
          </Button>
        </div>
      </div>
      <p className="muted">
        MCP clients send a token as <code>Authorization: Bearer …</code>. <Link to="/connect">Connect</Link> shows ready
        configurations.
      </p>
      {created && <NewTokenNotice created={created} />}
      {tokens.isPending && <Spinner label="Loading tokens" />}
      {tokens.isError && <ErrorBanner error={tokens.error} onRetry={() => void tokens.refetch()} />}
      {tokens.data && (
        <Table
          caption="API tokens"
          rows={tokens.data.items}
          rowKey={(token) => token.id}
          empty={
            <EmptyState
              title="No API tokens"
              action={
                <Button variant="primary" onClick={() => setCreating(true)}>
                  Create a token
                </Button>
              }
            >
              <p>Create a token for each MCP client that connects from another machine or in remote mode.</p>
            </EmptyState>
          }
          columns={[
            { key: "name", header: "Name", render: (t) => t.name },
            { key: "prefix", header: "Starts with", render: (t) => <code>{t.prefix}…</code> },
            { key: "scopes", header: "Scopes", render: (t) => t.scopes.join(", ") },
            { key: "created", header: "Created", render: (t) => `${formatDate(t.created_at)}${t.created_by ? ` by ${t.created_by}` : ""}` },
            { key: "expires", header: "Expires", render: (t) => formatDate(t.expires_at) },
            { key: "used", header: "Last used", render: (t) => formatDate(t.last_used_at, "never") },
            {
              key: "state",
              header: "State",
              render: (t) => {
                const state = tokenState(t);
                return <Badge tone={state.tone}>{state.label}</Badge>;
              },
            },
            {
              key: "actions",
              header: <span className="visually-hidden">Actions</span>,
              align: "end",
              render: (t) =>
                t.revoked_at ? null : (
                  <Button
                    size="sm"
                    variant="danger"
                    aria-label={`Revoke token ${t.name}`}
                    onClick={() => {
                      revoke.reset();
                      setRevoking(t);
                    }}
                  >
                    Revoke
                  </Button>
                ),
            },
          ]}
        />
      )}
      <Dialog open={creating} title="Create an API token" onClose={() => setCreating(false)}>
        <CreateTokenForm
          onCancel={() => setCreating(false)}
          onCreated={(token) => {
            setCreated(token);
            setCreating(false);
          }}
        />
      </Dialog>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke token “${revoking?.name ?? ""}”?`}
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        error={revoke.isError ? <ErrorBanner error={revoke.error} /> : null}
        onCancel={() => setRevoking(null)}
        onConfirm={() => {
          if (revoking) revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) });
        }}
      >
        <p>MCP clients using this token are refused from now on. This cannot be undone: give them a new token instead.</p>
      </ConfirmDialog>
    </section>
  );
}
