import { useState } from "react";

import { useModuleInstalls, useRetryInstall } from "../../api/approvals";
import type { RequestOut } from "../../api/types";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { Dialog } from "../../components/Dialog";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";
import { Spinner } from "../../components/Spinner";
import { type Column, Table } from "../../components/Table";

/** Where an approved module's install is, in words: "installing…", "installed 2.1", "failed". */
export function InstallState({ request }: { request: RequestOut }) {
  if (request.status === "installing") return <Badge tone="info">installing…</Badge>;
  if (request.status === "install_failed") return <Badge tone="danger">install failed</Badge>;
  const version = request.installed_version ? ` ${request.installed_version}` : "";
  return <Badge tone="success">{`installed${version}`}</Badge>;
}

/**
 * Approved modules and their installs: a module is usable by tools (and approved to the LLM)
 * once installed; a failed install says why and can be retried, e.g. naming the package when it
 * differs from the module (python-dateutil for dateutil).
 */
export function ModuleInstalls() {
  const installs = useModuleInstalls();
  const [retrying, setRetrying] = useState<RequestOut | null>(null);
  if (installs.isPending) return <Spinner label="Loading module installs" />;
  if (installs.isError) return <ErrorBanner error={installs.error} onRetry={() => void installs.refetch()} />;
  const items = installs.data.items;
  if (items.length === 0) return null;
  const columns: Column<RequestOut>[] = [
    { key: "module", header: "Module", render: (request) => <code>{request.module}</code> },
    { key: "package", header: "Package", render: (request) => <code>{request.package}</code> },
    { key: "server", header: "Server", render: (request) => request.server ?? "all servers" },
    { key: "state", header: "Install", render: (request) => <InstallState request={request} /> },
    {
      key: "detail",
      header: "Details",
      render: (request) =>
        request.status === "install_failed" ? (
          <div className="stack">
            <span className="install-error">{request.install_error}</span>
            <Button size="sm" aria-label={`Retry installing ${request.module ?? ""}`} onClick={() => setRetrying(request)}>
              Retry…
            </Button>
          </div>
        ) : (
          "—"
        ),
    },
  ];
  return (
    <>
      <Table caption="Module installs" showCaption columns={columns} rows={items} rowKey={(request) => `install-${request.id}`} />
      {retrying && <RetryDialog request={retrying} onClose={() => setRetrying(null)} />}
    </>
  );
}

function RetryDialog({ request, onClose }: { request: RequestOut; onClose: () => void }) {
  const retry = useRetryInstall();
  const [name, setName] = useState(request.package ?? "");
  const submit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    retry.mutate({ id: request.id, package: name.trim() || undefined }, { onSuccess: onClose });
  };
  return (
    <Dialog
      open
      title={`Retry installing ${request.module ?? ""}`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose} disabled={retry.isPending}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form="retry-install" busy={retry.isPending}>
            Install
          </Button>
        </>
      }
    >
      <form id="retry-install" className="form" onSubmit={submit}>
        <TextField
          label="Package"
          hint="The package that provides the module, optionally pinned (python-dateutil==2.9.0)."
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        {retry.isError && <ErrorBanner error={retry.error} />}
      </form>
    </Dialog>
  );
}
