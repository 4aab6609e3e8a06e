import { useState } from "react";

import { useDecideRequest } from "../../api/approvals";
import type { RequestOut } from "../../api/types";
import { Button } from "../../components/Button";
import { ErrorBanner } from "../../components/ErrorBanner";
import { ReasonDialog } from "./ReasonDialog";

/** What a module or network request asks for, in words: "requests" or "api.example.com:443". */
export function requestSubject(request: RequestOut): string {
  if (request.kind === "module") return request.module ?? "?";
  return request.port === null || request.port === undefined ? (request.host ?? "?") : `${request.host}:${request.port}`;
}

/** "Approve" (grants the module or host) and "Reject" (asks for a reason) for one request. */
export function RequestActions({ request }: { request: RequestOut }) {
  const decide = useDecideRequest();
  const [rejecting, setRejecting] = useState(false);
  const subject = requestSubject(request);
  return (
    <div className="review-actions">
      <div className="button-row">
        <Button
          variant="primary"
          size="sm"
          busy={decide.isPending && !rejecting}
          disabled={decide.isPending}
          aria-label={`Approve ${subject}`}
          onClick={() => decide.mutate({ kind: request.kind, id: request.id, approve: true })}
        >
          Approve
        </Button>
        <Button
          variant="danger"
          size="sm"
          disabled={decide.isPending}
          aria-label={`Reject ${subject}`}
          onClick={() => {
            decide.reset();
            setRejecting(true);
          }}
        >
          Reject
        </Button>
      </div>
      {decide.isError && !rejecting && <ErrorBanner error={decide.error} />}
      <ReasonDialog
        open={rejecting}
        title={`Reject ${subject}`}
        busy={decide.isPending}
        error={decide.isError ? <ErrorBanner error={decide.error} /> : null}
        onCancel={() => {
          decide.reset();
          setRejecting(false);
        }}
        onSubmit={(note) =>
          decide.mutate(
            { kind: request.kind, id: request.id, approve: false, note },
            { onSuccess: () => setRejecting(false) },
          )
        }
      />
    </div>
  );
}
