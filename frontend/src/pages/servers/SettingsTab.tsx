import { useState } from "react";
import { useNavigate } from "react-router";

import { useDeleteServer, useUpdateServer } from "../../api/servers";
import type { ServerOut } from "../../api/types";
import { Button } from "../../components/Button";
import { Dialog } from "../../components/Dialog";
import { ErrorBanner, SuccessBanner } from "../../components/ErrorBanner";
import { Field, TextField } from "../../components/Field";
import { TextArea } from "../../components/Input";
import { ExportButton } from "./TransferControls";

function DescriptionForm({ server }: { server: ServerOut }) {
  const [description, setDescription] = useState(server.description);
  const update = useUpdateServer(server.name);
  return (
    <form
      className="card form"
      aria-label="Description"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate(description.trim());
      }}
    >
      <Field label="Description" hint="Shown to admins and, in tools/list, to LLM clients.">
        {(control) => (
          <TextArea {...control} rows={3} value={description} onChange={(event) => setDescription(event.target.value)} />
        )}
      </Field>
      <div className="button-row">
        <Button type="submit" variant="primary" busy={update.isPending} disabled={description.trim() === server.description}>
          Save description
        </Button>
      </div>
      {update.isSuccess && <SuccessBanner>Description saved.</SuccessBanner>}
      {update.isError && <ErrorBanner error={update.error} />}
    </form>
  );
}

/** Deleting asks for the server's name typed out: it takes every tool, secret and request with it. */
export function DeleteServer({ server }: { server: ServerOut }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const remove = useDeleteServer(server.name);
  const navigate = useNavigate();
  const close = () => {
    remove.reset();
    setTyped("");
    setOpen(false);
  };
  return (
    <section className="card stack danger-zone" aria-labelledby="delete-title">
      <h3 id="delete-title">Delete this server</h3>
      <p>Its tools, their versions, its secrets and requests are deleted for good. Execution logs stay.</p>
      <div className="button-row">
        <Button variant="danger" onClick={() => setOpen(true)}>
          Delete server
        </Button>
      </div>
      <Dialog
        open={open}
        role="alertdialog"
        title={`Delete ${server.name}?`}
        onClose={close}
        footer={
          <>
            <Button data-autofocus onClick={close} disabled={remove.isPending}>
              Cancel
            </Button>
            <Button
              variant="danger"
              busy={remove.isPending}
              disabled={typed !== server.name}
              onClick={() => remove.mutate(undefined, { onSuccess: () => void navigate("/servers") })}
            >
              Delete
            </Button>
          </>
        }
      >
        <p>This cannot be undone. Type the server's name to confirm.</p>
        <TextField
          label={`Type ${server.name} to confirm`}
          autoComplete="off"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
        {remove.isError && <ErrorBanner error={remove.error} />}
      </Dialog>
    </section>
  );
}

/** The server's description, start/stop, and deletion. */
export function SettingsTab({ server }: { server: ServerOut }) {
  return (
    <div className="stack">
      <DescriptionForm server={server} />
      <section className="card stack" aria-labelledby="export-title">
        <h3 id="export-title">Export</h3>
        <p>A signed file with this server's tools and their versions, to import here or elsewhere. Secret values are never included.</p>
        <div className="button-row">
          <ExportButton server={server.name} label="Export this server" />
        </div>
      </section>
      <DeleteServer server={server} />
    </div>
  );
}
