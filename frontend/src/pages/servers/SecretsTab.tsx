import { useState } from "react";

import { ApiError } from "../../api/client";
import { useCreateSecret, useDeleteSecret, useSecrets, useSetSecretValue } from "../../api/secrets";
import type { SecretOut } from "../../api/types";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/Dialog";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";
import { Input } from "../../components/Input";
import { Spinner } from "../../components/Spinner";
import { type Column, Table } from "../../components/Table";
import { formatTime } from "./format";

/**
 * A password field, the raw choice and "Set value": the value goes to the server and the field empties; it is never
 * shown. Raw is chosen with each value (it starts as the secret has it now).
 */
function SetValueForm({ server, secret }: { server: string; secret: SecretOut }) {
  const [value, setValue] = useState("");
  const [raw, setRaw] = useState(secret.raw);
  const save = useSetSecretValue(server);
  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    save.mutate({ key: secret.key, value, raw }, { onSuccess: () => setValue("") });
  };
  return (
    <form className="inline-form" aria-label={`Set ${secret.key}`} onSubmit={onSubmit}>
      <Input
        type="password"
        autoComplete="new-password"
        aria-label={`Value for ${secret.key}`}
        placeholder={secret.has_value ? "New value" : "Value"}
        value={value}
        onChange={(event) => setValue(event.target.value)}
      />
      <label className="checkbox">
        <input type="checkbox" checked={raw} onChange={(event) => setRaw(event.target.checked)} />
        Raw: approved code sees the value
      </label>
      <Button type="submit" size="sm" variant="primary" busy={save.isPending} disabled={value === ""}>
        {secret.has_value ? "Replace value" : "Set value"}
      </Button>
      {save.isError && <ErrorBanner error={save.error} />}
    </form>
  );
}

function AddSecretForm({ server }: { server: string }) {
  const [key, setKey] = useState("");
  const [description, setDescription] = useState("");
  const create = useCreateSecret(server);
  const fields = create.error instanceof ApiError ? create.error.fieldErrors : {};
  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.mutate(
      { key: key.trim(), description: description.trim() },
      {
        onSuccess: () => {
          setKey("");
          setDescription("");
        },
      },
    );
  };
  return (
    <form className="card form" aria-label="Add a secret" onSubmit={onSubmit}>
      <h3>Add a secret</h3>
      <div className="toolbar">
        <TextField
          label="Key"
          required
          autoComplete="off"
          hint="Uppercase letters, digits and _, e.g. WEATHER_API_KEY."
          value={key}
          error={fields.key}
          onChange={(event) => setKey(event.target.value)}
        />
        <TextField
          label="Description"
          value={description}
          error={fields.description}
          onChange={(event) => setDescription(event.target.value)}
        />
      </div>
      <div className="button-row">
        <Button type="submit" busy={create.isPending} disabled={!key.trim()}>
          Add secret
        </Button>
      </div>
      {create.isError && !fields.key && !fields.description && <ErrorBanner error={create.error} />}
    </form>
  );
}

/** The server's secrets: keys the LLM asked for, whether they are set, and a way to set them. */
export function SecretsTab({ server }: { server: string }) {
  const secrets = useSecrets(server);
  const remove = useDeleteSecret(server);
  const [deleting, setDeleting] = useState<string | null>(null);

  const columns: Column<SecretOut>[] = [
    { key: "key", header: "Key", render: (secret) => <code>{secret.key}</code> },
    { key: "description", header: "Description", render: (secret) => secret.description || "—" },
    {
      key: "state",
      header: "Value",
      render: (secret) => (
        <>
          {secret.has_value ? <Badge tone="success">set</Badge> : <Badge tone="warning">not set</Badge>}{" "}
          {secret.raw && <Badge tone="warning">raw: approved code sees the value</Badge>}
        </>
      ),
    },
    { key: "updated", header: "Updated", render: (secret) => formatTime(secret.updated_at) },
    { key: "set", header: "New value", render: (secret) => <SetValueForm server={server} secret={secret} /> },
    {
      key: "delete",
      header: <span className="visually-hidden">Delete</span>,
      render: (secret) => (
        <Button size="sm" variant="danger" aria-label={`Delete ${secret.key}`} onClick={() => setDeleting(secret.key)}>
          Delete
        </Button>
      ),
    },
  ];

  return (
    <div className="stack">
      <p className="muted">
        Tools read secrets by key at run time. Values are stored encrypted and are never shown again, not even to
        admins: to change one, set a new value. Tool code never sees a value: it gets a stand-in that polybox swaps
        for the value only in requests to the server&apos;s allowed hosts. A secret marked <strong>raw</strong> is
        the exception: approved code gets the value itself (for signing and other local computation); code being
        tested before approval still gets a stand-in.
      </p>
      {secrets.isPending && <Spinner label="Loading secrets" />}
      {secrets.isError && <ErrorBanner error={secrets.error} onRetry={() => void secrets.refetch()} />}
      {secrets.data && (
        <Table
          caption={`Secrets of ${server}`}
          columns={columns}
          rows={secrets.data.items}
          rowKey={(secret) => secret.key}
          empty={
            <EmptyState title="No secrets yet">
              <p>
                When a tool needs an API key or password, the LLM asks for a placeholder and it appears here for
                you to fill in. You can also add one below.
              </p>
            </EmptyState>
          }
        />
      )}
      <AddSecretForm server={server} />
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting ?? ""}?`}
        confirmLabel="Delete"
        busy={remove.isPending}
        error={remove.isError ? <ErrorBanner error={remove.error} /> : null}
        onCancel={() => {
          remove.reset();
          setDeleting(null);
        }}
        onConfirm={() => {
          if (deleting !== null) remove.mutate(deleting, { onSuccess: () => setDeleting(null) });
        }}
      >
        <p>The secret and its value are deleted. Tools that read it will fail until it is added again.</p>
      </ConfirmDialog>
    </div>
  );
}
