import { useState } from "react";

import { ApiError } from "../../api/client";
import { useApplyProfile, useProfiles, useSettings, useUpdateSettings } from "../../api/settings";
import type { ForgeSettings, SettingsPatch, SettingsProfile } from "../../api/types";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/Dialog";
import { ErrorBanner, SuccessBanner } from "../../components/ErrorBanner";
import { Field, SelectField, TextField } from "../../components/Field";
import { TextArea } from "../../components/Input";
import { Spinner } from "../../components/Spinner";

const APPROVAL_OPTIONS = [
  { value: "require_approval", label: "An admin approves each one" },
  { value: "auto_approve", label: "Approve automatically" },
];
const NETWORK_OPTIONS = [
  { value: "require_approval", label: "An admin approves each host" },
  { value: "allow_all_public", label: "Allow every public host automatically" },
];
const REMOTE_OPTIONS = [
  { value: "all", label: "All management tools" },
  { value: "read_only", label: "Read only (list, get, validate, status, logs)" },
  { value: "none", label: "None" },
];

const SETTING_NAMES: Record<string, string> = {
  tool_approval_mode: "New and changed tools",
  module_approval_mode: "Module requests",
  network_access_policy: "Network requests",
  remote_tool_editing: "Remote MCP clients may use",
  redact_secrets_in_output: "Redact secrets",
  log_retention_days: "Keep logs (days)",
  test_before_approval: "Test before approval",
  local_test_before_approval: "Local test before approval",
  allowed_modules: "Allowed modules",
  private_hosts: "Private hosts",
};

function lines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean);
}

function describe(value: unknown): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  return String(value).replaceAll("_", " ");
}

function Profiles() {
  const profiles = useProfiles();
  const apply = useApplyProfile();
  const [chosen, setChosen] = useState<SettingsProfile | null>(null);
  if (profiles.isPending) return <Spinner label="Loading profiles" />;
  if (profiles.isError) return <ErrorBanner error={profiles.error} onRetry={() => void profiles.refetch()} />;
  return (
    <section className="section" aria-labelledby="profiles-heading">
      <h2 id="profiles-heading">Security profiles</h2>
      <p className="muted">A profile sets several policy settings at once; other settings stay as they are.</p>
      <div className="grid">
        {profiles.data.map((profile) => (
          <div key={profile.name} className="card stack profile">
            <div className="row">
              <h3 className="profile-name">{profile.name}</h3>
              {profile.active && <Badge tone="success">active</Badge>}
            </div>
            <p>{profile.description}</p>
            <Button
              size="sm"
              disabled={profile.active}
              onClick={() => {
                apply.reset();
                setChosen(profile);
              }}
            >
              Apply {profile.name}
            </Button>
          </div>
        ))}
      </div>
      <ConfirmDialog
        open={chosen !== null}
        title={`Apply the ${chosen?.name ?? ""} profile?`}
        confirmLabel="Apply profile"
        danger={false}
        busy={apply.isPending}
        error={apply.isError ? <ErrorBanner error={apply.error} /> : null}
        onCancel={() => setChosen(null)}
        onConfirm={() => {
          if (chosen) apply.mutate(chosen.name, { onSuccess: () => setChosen(null) });
        }}
      >
        <p>These settings change:</p>
        <ul>
          {Object.entries(chosen?.settings ?? {}).map(([key, value]) => (
            <li key={key}>
              {SETTING_NAMES[key] ?? key}: <strong>{describe(value)}</strong>
            </li>
          ))}
        </ul>
      </ConfirmDialog>
    </section>
  );
}

function changes(saved: ForgeSettings, draft: ForgeSettings): SettingsPatch {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(draft) as (keyof ForgeSettings)[]) {
    if (JSON.stringify(draft[key]) !== JSON.stringify(saved[key])) patch[key] = draft[key];
  }
  return patch;
}

function PolicyForm({ saved, update }: { saved: ForgeSettings; update: ReturnType<typeof useUpdateSettings> }) {
  const [draft, setDraft] = useState(saved);
  const [modules, setModules] = useState((saved.allowed_modules ?? []).join("\n"));
  const [hosts, setHosts] = useState((saved.private_hosts ?? []).join("\n"));
  const fields = update.error instanceof ApiError ? update.error.fieldErrors : {};
  const set = <K extends keyof ForgeSettings>(key: K, value: ForgeSettings[K]) => {
    update.reset();
    setDraft((current) => ({ ...current, [key]: value }));
  };

  const next: ForgeSettings = { ...draft, allowed_modules: lines(modules), private_hosts: lines(hosts) };
  const patch = changes(saved, next);
  const dirty = Object.keys(patch).length > 0;

  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    update.mutate(patch);
  };

  return (
    <form className="form" onSubmit={onSubmit} aria-labelledby="policy-heading">
      <h2 id="policy-heading">Policy</h2>
      {update.isError && <ErrorBanner title="The settings were not saved" error={update.error} />}
      {update.isSuccess && !dirty && <SuccessBanner>Settings saved.</SuccessBanner>}
      <SelectField
        label={SETTING_NAMES.tool_approval_mode}
        options={APPROVAL_OPTIONS}
        value={draft.tool_approval_mode}
        error={fields.tool_approval_mode}
        onChange={(event) => set("tool_approval_mode", event.target.value as ForgeSettings["tool_approval_mode"])}
      />
      <SelectField
        label={SETTING_NAMES.module_approval_mode}
        options={APPROVAL_OPTIONS}
        value={draft.module_approval_mode}
        error={fields.module_approval_mode}
        onChange={(event) => set("module_approval_mode", event.target.value as ForgeSettings["module_approval_mode"])}
      />
      <SelectField
        label={SETTING_NAMES.network_access_policy}
        options={NETWORK_OPTIONS}
        value={draft.network_access_policy}
        error={fields.network_access_policy}
        onChange={(event) => set("network_access_policy", event.target.value as ForgeSettings["network_access_policy"])}
      />
      <SelectField
        label={SETTING_NAMES.remote_tool_editing}
        hint="What MCP clients on other machines may do with the management tools."
        options={REMOTE_OPTIONS}
        value={draft.remote_tool_editing}
        error={fields.remote_tool_editing}
        onChange={(event) => set("remote_tool_editing", event.target.value as ForgeSettings["remote_tool_editing"])}
      />
      <label className="checkbox">
        <input
          type="checkbox"
          checked={draft.redact_secrets_in_output}
          onChange={(event) => set("redact_secrets_in_output", event.target.checked)}
        />
        Replace secret values in tool results, output and logs
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={draft.test_before_approval}
          onChange={(event) => set("test_before_approval", event.target.checked)}
        />
        Let every LLM, remote ones too, test code that is not approved yet (polybox_test_code)
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={draft.local_test_before_approval}
          onChange={(event) => set("local_test_before_approval", event.target.checked)}
        />
        Let local clients (stdio, this machine) test code that is not approved yet; remote clients
        follow the setting above
      </label>
      <TextField
        label={SETTING_NAMES.log_retention_days}
        hint="Execution and activity logs older than this are deleted (1 to 3650)."
        type="number"
        min={1}
        max={3650}
        value={String(draft.log_retention_days)}
        error={fields.log_retention_days}
        onChange={(event) => set("log_retention_days", Number(event.target.value))}
      />
      <Field label={SETTING_NAMES.allowed_modules} hint="Modules every server's tools may import, one per line." error={fields.allowed_modules}>
        {(control) => (
          <TextArea
            {...control}
            rows={6}
            value={modules}
            onChange={(event) => {
              update.reset();
              setModules(event.target.value);
            }}
          />
        )}
      </Field>
      <Field
        label={SETTING_NAMES.private_hosts}
        hint="Private or loopback hosts tools may reach when their server allows them, one per line (no port)."
        error={fields.private_hosts}
      >
        {(control) => (
          <TextArea
            {...control}
            rows={3}
            value={hosts}
            onChange={(event) => {
              update.reset();
              setHosts(event.target.value);
            }}
          />
        )}
      </Field>
      <div className="row">
        <Button type="submit" variant="primary" busy={update.isPending} disabled={!dirty}>
          Save settings
        </Button>
        <Button
          disabled={!dirty}
          onClick={() => {
            setDraft(saved);
            setModules((saved.allowed_modules ?? []).join("\n"));
            setHosts((saved.private_hosts ?? []).join("\n"));
          }}
        >
          Undo changes
        </Button>
      </div>
    </form>
  );
}

/** Security profiles and the individual policy settings. */
export function PolicySection() {
  const settings = useSettings();
  const update = useUpdateSettings();
  return (
    <>
      <Profiles />
      {settings.isPending && <Spinner label="Loading settings" />}
      {settings.isError && <ErrorBanner error={settings.error} onRetry={() => void settings.refetch()} />}
      {/* Re-mount on every saved version so the form starts from what the server holds. */}
      {settings.data && <PolicyForm key={JSON.stringify(settings.data)} saved={settings.data} update={update} />}
    </>
  );
}
