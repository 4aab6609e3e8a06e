import { useState } from "react";

import { ApiError } from "../../api/client";
import { useCreateToken } from "../../api/tokens";
import type { ApiTokenCreated, Scope } from "../../api/types";
import { Button } from "../../components/Button";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";

export const SCOPES: { value: Scope; label: string }[] = [
  { value: "tools:call", label: "Call tools" },
  { value: "forge:write", label: "Build and change tools (forge)" },
  { value: "admin", label: "Admin (manage polybox over MCP)" },
];

export interface CreateTokenFormProps {
  /** The name the form starts with. */
  defaultName?: string;
  onCreated: (created: ApiTokenCreated) => void;
  onCancel?: () => void;
}

/** Name, lifetime and scopes of a new MCP client token; the caller shows the token (once). */
export function CreateTokenForm({ defaultName = "", onCreated, onCancel }: CreateTokenFormProps) {
  const [name, setName] = useState(defaultName);
  const [days, setDays] = useState("90");
  const [scopes, setScopes] = useState<Scope[]>(["tools:call", "forge:write"]);
  const create = useCreateToken();
  const fields = create.error instanceof ApiError ? create.error.fieldErrors : {};

  const toggle = (scope: Scope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));

  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), expires_in_days: Number(days), scopes },
      { onSuccess: (created) => onCreated(created) },
    );
  };

  return (
    <form className="form" onSubmit={onSubmit} aria-label="New API token">
      {create.isError && <ErrorBanner error={create.error} />}
      <TextField
        label="Name"
        hint="Where the token is used, e.g. “Claude Desktop on my laptop”."
        required
        maxLength={100}
        value={name}
        error={fields.name}
        onChange={(event) => setName(event.target.value)}
        data-autofocus
      />
      <TextField
        label="Expires after (days)"
        type="number"
        min={1}
        max={365}
        required
        value={days}
        error={fields.expires_in_days}
        onChange={(event) => setDays(event.target.value)}
      />
      <fieldset>
        <legend>What the token may do</legend>
        <div className="stack">
          {SCOPES.map((scope) => (
            <label key={scope.value} className="checkbox">
              <input
                type="checkbox"
                checked={scopes.includes(scope.value)}
                onChange={(event) => toggle(scope.value, event.target.checked)}
              />
              {scope.label} <code>{scope.value}</code>
            </label>
          ))}
        </div>
        {fields.scopes && <p className="field-error">{fields.scopes}</p>}
      </fieldset>
      <div className="row">
        <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim() || scopes.length === 0}>
          Create token
        </Button>
        {onCancel && <Button onClick={onCancel}>Cancel</Button>}
      </div>
    </form>
  );
}
