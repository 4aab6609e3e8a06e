import { Link } from "react-router";

import { useCurrentVersion } from "../../api/approvals";
import type { ToolReviewOut } from "../../api/types";
import { StatusBadge } from "../../components/Badge";
import { DiffView } from "../../components/DiffView";
import { OriginBadge } from "./origin";
import { ToolReviewActions } from "./ToolReviewActions";

export interface ToolReviewPanelProps {
  review: ToolReviewOut;
  selected: boolean;
  onSelectedChange: (selected: boolean) => void;
}

/**
 * One tool waiting for review: who wrote it, the diff since the last approved version and, right
 * next to it, Approve and Reject. A labelled region ("server / tool"), so it can be found by name.
 */
export function ToolReviewPanel({ review, selected, onSelectedChange }: ToolReviewPanelProps) {
  const { tool, base_version: base } = review;
  const author = useCurrentVersion(tool.server, tool.name);
  const label = `${tool.server} / ${tool.name}`;
  const current = tool.current_version;
  return (
    <section className="card review-panel" aria-label={label}>
      <header className="review-header">
        <input
          type="checkbox"
          className="select-box"
          aria-label={`Select ${label}`}
          checked={selected}
          onChange={(event) => onSelectedChange(event.target.checked)}
        />
        <div className="review-title">
          <h3>
            <Link to={`/servers/${encodeURIComponent(tool.server)}/tools?tool=${encodeURIComponent(tool.name)}`}>
              {label}
            </Link>
          </h3>
          <p className="review-meta">
            <StatusBadge status={tool.status} /> {author.data && <OriginBadge by={author.data.author} />}{" "}
            <span>
              {base === null
                ? `v${current ?? "?"}, never approved`
                : `v${current ?? "?"}, changed since the approved v${base}`}
            </span>
          </p>
          {tool.description && <p>{tool.description}</p>}
        </div>
      </header>
      <div className="review-body">
        <DiffView
          patch={review.diff}
          oldLabel={base === null ? "Nothing approved yet" : `v${base} (approved)`}
          newLabel={`v${current ?? "?"} (to review)`}
          emptyText="The code is the same as the approved version."
        />
        <ToolReviewActions server={tool.server} tool={tool.name} />
      </div>
    </section>
  );
}
