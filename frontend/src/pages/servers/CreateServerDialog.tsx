import { useState } from "react";
import { useNavigate } from "react-router";

import { ApiError } from "../../api/client";
import { useCreateServer } from "../../api/servers";
import { Button } from "../../components/Button";
import { Dialog } from "../../components/Dialog";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";

/** A server's name and description; on success, its page. */
export function CreateServerDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useCreateServer();
  const navigate = useNavigate();
  const fieldErrors = create.error instanceof ApiError ? create.error.fieldErrors : {};

  const close = () => {
    create.reset();
    setName("");
    setDescription("");
    onClose();
  };

  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), description: description.trim() },
      { onSuccess: (server) => void navigate(`/servers/${encodeURIComponent(server.name)}`) },
    );
  };

  return (
    <Dialog
      open={open}
      title="Create a server"
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="primary" type="submit" form="create-server" busy={create.isPending}>
            Create
          </Button>
        </>
      }
    >
      <form id="create-server" className="form" onSubmit={onSubmit}>
        <TextField
          label="Name"
          required
          maxLength={64}
          autoComplete="off"
          hint="Lowercase letters, digits and _, starting with a letter (e.g. weather)."
          value={name}
          error={fieldErrors.name}
          onChange={(event) => setName(event.target.value)}
        />
        <TextField
          label="Description"
          value={description}
          error={fieldErrors.description}
          onChange={(event) => setDescription(event.target.value)}
        />
        {create.isError && Object.keys(fieldErrors).length === 0 && <ErrorBanner error={create.error} />}
      </form>
    </Dialog>
  );
}
