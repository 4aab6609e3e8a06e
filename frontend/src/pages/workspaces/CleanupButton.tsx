import { useState } from "react";

import { useCleanupWorkspaces } from "../../api/workspaces";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/Dialog";
import { ErrorBanner, SuccessBanner } from "../../components/ErrorBanner";

/** "Clean up all": stops every running workspace of this polybox, after a confirmation. */
export function CleanupButton({ running }: { running: number }) {
  const [asking, setAsking] = useState(false);
  const cleanup = useCleanupWorkspaces();
  return (
    <>
      <Button
        variant="danger"
        disabled={running === 0}
        onClick={() => {
          cleanup.reset();
          setAsking(true);
        }}
      >
        Clean up all
      </Button>
      {cleanup.isSuccess && (
        <SuccessBanner>
          Cleaned up {cleanup.data.cleaned} workspace{cleanup.data.cleaned === 1 ? "" : "s"}.
        </SuccessBanner>
      )}
      <ConfirmDialog
        open={asking}
        title="Clean up every workspace?"
        confirmLabel="Clean up all"
        busy={cleanup.isPending}
        error={cleanup.isError ? <ErrorBanner error={cleanup.error} /> : null}
        onCancel={() => setAsking(false)}
        onConfirm={() => cleanup.mutate(undefined, { onSuccess: () => setAsking(false) })}
      >
        <p>
          All {running} running workspace{running === 1 ? "" : "s"} stop: their builds, processes and hosted APIs end
          and their files are deleted. The LLMs that own them are told an admin stopped them. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
