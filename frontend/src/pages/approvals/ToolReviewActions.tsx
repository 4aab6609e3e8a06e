import { useState } from "react";

import { useApproveTool, useRejectTool } from "../../api/approvals";
import { Button } from "../../components/Button";
import { ErrorBanner } from "../../components/ErrorBanner";
import { ReasonDialog } from "./ReasonDialog";

export interface ToolReviewActionsProps {
  server: string;
  tool: string;
  /** Called after the decision was applied (e.g. to close a detail view). */
  onDecided?: () => void;
}

/** "Approve" and "Reject" (which asks for a reason) for one tool's current version. */
export function ToolReviewActions({ server, tool, onDecided }: ToolReviewActionsProps) {
  const approve = useApproveTool();
  const reject = useRejectTool();
  const [rejecting, setRejecting] = useState(false);
  const busy = approve.isPending || reject.isPending;

  return (
    <div className="review-actions">
      <div className="button-row">
        <Button
          variant="primary"
          busy={approve.isPending}
          disabled={busy}
          onClick={() => {
            reject.reset();
            approve.mutate({ server, tool }, { onSuccess: () => onDecided?.() });
          }}
        >
          Approve
        </Button>
        <Button
          variant="danger"
          disabled={busy}
          onClick={() => {
            approve.reset();
            setRejecting(true);
          }}
        >
          Reject
        </Button>
      </div>
      {approve.isError && <ErrorBanner error={approve.error} title="Not approved" />}
      <ReasonDialog
        open={rejecting}
        title={`Reject ${server} / ${tool}`}
        busy={reject.isPending}
        error={reject.isError ? <ErrorBanner error={reject.error} /> : null}
        onCancel={() => {
          reject.reset();
          setRejecting(false);
        }}
        onSubmit={(reason) =>
          reject.mutate(
            { server, tool, reason },
            {
              onSuccess: () => {
                setRejecting(false);
                onDecided?.();
              },
            },
          )
        }
      />
    </div>
  );
}
