import { useState } from "react";

import { useAdmins, useCreateAdmin, useDisableAdmin } from "../../api/admins";
import { useMe } from "../../api/auth";
import { ApiError } from "../../api/client";
import type { AdminOut } from "../../api/types";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";
import { Spinner } from "../../components/Spinner";
import { Table } from "../../components/Table";
import { formatDate } from "./format";

function AddAdminForm({ onDone }: { onDone: () => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const create = useCreateAdmin();
  const fields = create.error instanceof ApiError ? create.error.fieldErrors : {};
  return (
    <form
      className="form"
      aria-label="New admin"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({ username: username.trim(), password }, { onSuccess: onDone });
      }}
    >
      {create.isError && <ErrorBanner error={create.error} />}
      <TextField
        label="Username"
        autoComplete="off"
        hint="Lowercase letters, digits, '.', '_' or '-', starting with a letter."
        value={username}
        error={fields.username}
        onChange={(event) => setUsername(event.target.value)}
      />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        hint="At least 12 characters. Tell it to them over a safe channel; they can change it."
        value={password}
        error={fields.password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <div className="row">
        <Button type="submit" variant="primary" busy={create.isPending} disabled={!username.trim() || !password}>
          Add admin
        </Button>
        <Button onClick={onDone}>Cancel</Button>
      </div>
    </form>
  );
}

/** Admin accounts: list, add, disable (never your own). */
export function AdminsSection() {
  const admins = useAdmins();
  const me = useMe();
  const disable = useDisableAdmin();
  const [adding, setAdding] = useState(false);
  const [disabling, setDisabling] = useState<AdminOut | null>(null);

  return (
    <section className="section" aria-labelledby="admins-heading">
      <div className="section-header">
        <h2 id="admins-heading">Admins</h2>
        <Button variant="primary" onClick={() => setAdding(true)}>
          Add admin
        </Button>
      </div>
      {admins.isPending && <Spinner label="Loading admins" />}
      {admins.isError && <ErrorBanner error={admins.error} onRetry={() => void admins.refetch()} />}
      {admins.data && (
        <Table
          caption="Admins"
          rows={admins.data.items}
          rowKey={(admin) => admin.id}
          columns={[
            {
              key: "name",
              header: "Username",
              render: (admin) => (
                <>
                  {admin.username} {admin.id === me.data?.id && <Badge tone="info">you</Badge>}
                </>
              ),
            },
            { key: "created", header: "Created", render: (admin) => formatDate(admin.created_at) },
            { key: "login", header: "Last login", render: (admin) => formatDate(admin.last_login_at, "never") },
            {
              key: "state",
              header: "State",
              render: (admin) => <Badge tone={admin.disabled ? "neutral" : "success"}>{admin.disabled ? "disabled" : "active"}</Badge>,
            },
            {
              key: "actions",
              header: <span className="visually-hidden">Actions</span>,
              align: "end",
              render: (admin) =>
                admin.disabled || admin.id === me.data?.id ? null : (
                  <Button
                    size="sm"
                    variant="danger"
                    aria-label={`Disable admin ${admin.username}`}
                    onClick={() => {
                      disable.reset();
                      setDisabling(admin);
                    }}
                  >
                    Disable
                  </Button>
                ),
            },
          ]}
        />
      )}
      <Dialog open={adding} title="Add an admin" onClose={() => setAdding(false)}>
        <AddAdminForm onDone={() => setAdding(false)} />
      </Dialog>
      <ConfirmDialog
        open={disabling !== null}
        title={`Disable ${disabling?.username ?? ""}?`}
        confirmLabel="Disable admin"
        busy={disable.isPending}
        error={disable.isError ? <ErrorBanner error={disable.error} /> : null}
        onCancel={() => setDisabling(null)}
        onConfirm={() => {
          if (disabling) disable.mutate(disabling.id, { onSuccess: () => setDisabling(null) });
        }}
      >
        <p>They can no longer log in, and their open sessions end now.</p>
      </ConfirmDialog>
    </section>
  );
}
