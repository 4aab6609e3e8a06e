import type { RequestOut } from "../../api/types";
import { type Column, Table } from "../../components/Table";
import { OriginBadge } from "./origin";
import { RequestActions, requestSubject } from "./RequestActions";

export interface RequestTableProps {
  requests: RequestOut[];
  caption: string;
  empty: React.ReactNode;
  /** With a selection, each row gets a checkbox (for bulk decisions). */
  selection?: { isSelected: (id: number) => boolean; onChange: (id: number, selected: boolean) => void };
}

/** Pending module or network requests with their reason, who asked, and Approve / Reject. */
export function RequestTable({ requests, caption, empty, selection }: RequestTableProps) {
  const columns: Column<RequestOut>[] = [
    {
      key: "subject",
      header: "Request",
      render: (request) => (
        <>
          <code>{requestSubject(request)}</code>
          {request.package && request.package !== request.module && (
            <>
              {" from package "}
              <code>{request.package}</code>
            </>
          )}
        </>
      ),
    },
    { key: "server", header: "Server", render: (request) => request.server ?? "all servers" },
    { key: "reason", header: "Reason", render: (request) => request.reason || "—" },
    { key: "by", header: "Origin", render: (request) => <OriginBadge by={request.requested_by} /> },
    {
      key: "at",
      header: "Asked",
      render: (request) => <time dateTime={request.created_at}>{new Date(request.created_at).toLocaleString()}</time>,
    },
    { key: "actions", header: "Decision", render: (request) => <RequestActions request={request} /> },
  ];
  if (selection) {
    columns.unshift({
      key: "select",
      header: <span className="visually-hidden">Selected</span>,
      render: (request) => (
        <input
          type="checkbox"
          className="select-box"
          aria-label={`Select ${requestSubject(request)}`}
          checked={selection.isSelected(request.id)}
          onChange={(event) => selection.onChange(request.id, event.target.checked)}
        />
      ),
    });
  }
  return <Table caption={caption} columns={columns} rows={requests} rowKey={(request) => `${request.kind}-${request.id}`} empty={empty} />;
}
