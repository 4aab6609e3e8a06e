import { useState } from "react";

import { useBulkDecide } from "../../api/approvals";
import type { Decision, DecisionResult } from "../../api/types";
import { Button } from "../../components/Button";
import { ErrorBanner, SuccessBanner } from "../../components/ErrorBanner";
import { ReasonDialog } from "./ReasonDialog";

export interface BulkBarProps {
  /** What is being selected, plural: "tools", "module requests". */
  noun: string;
  selectedCount: number;
  total: number;
  onSelectAll: (selected: boolean) => void;
  /** The decisions for the selected items with this action (and note). */
  decisions: (action: "approve" | "reject", note?: string) => Decision[];
  /** Clears the selection after the decisions were sent. */
  onDone: () => void;
}

function summary(results: DecisionResult[], items: Decision[]): { applied: number; failures: string[] } {
  const failures = results
    .filter((result) => !result.ok)
    .map((result) => {
      const item = items[result.index];
      const name = item?.kind === "tool" ? `${item.server} / ${item.tool}` : `request ${item?.id ?? "?"}`;
      return `${name}: ${result.message ?? "not applied"}`;
    });
  return { applied: results.length - failures.length, failures };
}

/** Select all, then approve or reject every selected item in one request; reports each failure. */
export function BulkBar({ noun, selectedCount, total, onSelectAll, decisions, onDone }: BulkBarProps) {
  const bulk = useBulkDecide();
  const [rejecting, setRejecting] = useState(false);
  const [outcome, setOutcome] = useState<{ applied: number; failures: string[] } | null>(null);

  const send = (action: "approve" | "reject", note?: string) => {
    const items = decisions(action, note);
    setOutcome(null);
    bulk.mutate(items, {
      onSuccess: (results) => {
        setOutcome(summary(results, items));
        setRejecting(false);
        onDone();
      },
    });
  };

  if (total === 0) return null;
  return (
    <div className="bulk-bar">
      <label className="checkbox">
        <input
          type="checkbox"
          checked={selectedCount === total}
          ref={(node) => {
            if (node) node.indeterminate = selectedCount > 0 && selectedCount < total;
          }}
          onChange={(event) => onSelectAll(event.target.checked)}
        />
        Select all {noun}
      </label>
      <span aria-live="polite">{selectedCount} selected</span>
      <div className="button-row">
        <Button
          variant="primary"
          size="sm"
          disabled={selectedCount === 0 || bulk.isPending}
          busy={bulk.isPending && !rejecting}
          onClick={() => send("approve")}
        >
          Approve selected
        </Button>
        <Button
          variant="danger"
          size="sm"
          disabled={selectedCount === 0 || bulk.isPending}
          onClick={() => setRejecting(true)}
        >
          Reject selected
        </Button>
      </div>
      {bulk.isError && !rejecting && <ErrorBanner error={bulk.error} />}
      {outcome && outcome.failures.length === 0 && <SuccessBanner>{outcome.applied} decided.</SuccessBanner>}
      {outcome && outcome.failures.length > 0 && (
        <div className="banner banner-error" role="alert">
          <div>
            <p className="banner-title">
              {outcome.applied} decided, {outcome.failures.length} not:
            </p>
            <ul>
              {outcome.failures.map((failure) => (
                <li key={failure}>{failure}</li>
              ))}
            </ul>
          </div>
        </div>
      )}
      <ReasonDialog
        open={rejecting}
        title={`Reject ${selectedCount} ${noun}`}
        busy={bulk.isPending}
        error={bulk.isError ? <ErrorBanner error={bulk.error} /> : null}
        onCancel={() => {
          bulk.reset();
          setRejecting(false);
        }}
        onSubmit={(reason) => send("reject", reason)}
      >
        <p>The same reason goes to every selected item.</p>
      </ReasonDialog>
    </div>
  );
}
