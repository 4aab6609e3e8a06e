import { useState } from "react";

import type { WorkspaceOut } from "../../api/types";
import { useStopWorkspace } from "../../api/workspaces";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/Dialog";
import { ErrorBanner } from "../../components/ErrorBanner";

/** Stop one workspace, after a confirmation that says what the LLM that owns it will see. */
export function StopButton({ workspace }: { workspace: WorkspaceOut }) {
  const [asking, setAsking] = useState(false);
  const stop = useStopWorkspace();
  return (
    <>
      <Button
        variant="danger"
        onClick={() => {
          stop.reset();
          setAsking(true);
        }}
      >
        Stop workspace
      </Button>
      <ConfirmDialog
        open={asking}
        title={`Stop ${workspace.id}?`}
        confirmLabel="Stop workspace"
        busy={stop.isPending}
        error={stop.isError ? <ErrorBanner error={stop.error} /> : null}
        onCancel={() => setAsking(false)}
        onConfirm={() => stop.mutate(workspace.id, { onSuccess: () => setAsking(false) })}
      >
        <p>
          Its builds, processes and hosted APIs end and its files are deleted. {workspace.owner}&apos;s next call to it
          gets an error saying an admin stopped it. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
