import type { WorkspaceOut } from "../../api/types";
import { StatusBadge } from "../../components/Badge";
import { stopReason } from "./format";

/** The status badge, and for a stopped workspace why ("stopped by an admin"). */
export function WorkspaceStatus({ workspace }: { workspace: WorkspaceOut }) {
  const reason = stopReason(workspace);
  return (
    <span className="row">
      <StatusBadge status={workspace.status} />
      {reason && <span className="muted">{reason}</span>}
    </span>
  );
}
