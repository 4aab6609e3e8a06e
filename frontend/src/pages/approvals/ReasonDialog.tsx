import { useState } from "react";

import { Button } from "../../components/Button";
import { Dialog } from "../../components/Dialog";
import { TextField } from "../../components/Field";

export interface ReasonDialogProps {
  open: boolean;
  /** e.g. "Reject weather / current". */
  title: string;
  /** What the reason is for, shown above the field. */
  children?: React.ReactNode;
  busy?: boolean;
  error?: React.ReactNode;
  onSubmit: (reason: string) => void;
  onCancel: () => void;
}

/**
 * Asks why before a rejection: the reason is required, because the author needs to know what to
 * change. The field starts empty each time the dialog opens.
 */
export function ReasonDialog(props: ReasonDialogProps) {
  return props.open ? <ReasonForm {...props} /> : null;
}

function ReasonForm({ title, children, busy = false, error, onSubmit, onCancel }: ReasonDialogProps) {
  const [reason, setReason] = useState("");
  const submit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (reason.trim()) onSubmit(reason.trim());
  };
  return (
    <Dialog
      open
      title={title}
      onClose={onCancel}
      footer={
        <>
          <Button onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
          <Button variant="danger" type="submit" form="reject-reason" busy={busy} disabled={!reason.trim()}>
            Reject
          </Button>
        </>
      }
    >
      <form id="reject-reason" className="form" onSubmit={submit}>
        {children}
        <TextField
          label="Reason"
          required
          hint="Shown to the author: say what to change before asking again."
          value={reason}
          onChange={(event) => setReason(event.target.value)}
        />
        {error}
      </form>
    </Dialog>
  );
}
