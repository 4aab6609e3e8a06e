import { useState } from "react";

import { messageOf } from "../../api/client";
import { downloadExport, type ImportResult, useImportServers } from "../../api/transfer";
import { Button } from "../../components/Button";
import { Dialog } from "../../components/Dialog";
import { ErrorBanner, SuccessBanner } from "../../components/ErrorBanner";
import { Field } from "../../components/Field";

/** "Export" downloads a signed file of one server (or every server when `server` is not given). */
export function ExportButton({ server, label }: { server?: string; label: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = () => {
    setBusy(true);
    setError(null);
    downloadExport(server)
      .catch((failure: unknown) => setError(failure))
      .finally(() => setBusy(false));
  };
  return (
    <>
      <Button busy={busy} onClick={run}>
        {label}
      </Button>
      {error !== null && <ErrorBanner error={error} title="Export failed" />}
    </>
  );
}

function Imported({ result }: { result: ImportResult }) {
  const secrets = result.servers.flatMap((server) => server.secrets_to_set.map((key) => `${server.name}: ${key}`));
  return (
    <SuccessBanner>
      Imported {result.servers.map((server) => server.name).join(", ")}.
      {!result.same_instance && " Its tools wait for your review in Approvals."}
      {secrets.length > 0 && ` Secret values are not exported: set ${secrets.join(", ")}.`}
    </SuccessBanner>
  );
}

/** The file's text (FileReader: works in every browser and in jsdom, unlike Blob.text). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === "string" ? reader.result : "");
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
    reader.readAsText(file);
  });
}

/** Upload an export file; all of it is imported or none. Files from elsewhere need `trust`. */
export function ImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [trust, setTrust] = useState(false);
  const [readError, setReadError] = useState<string | null>(null);
  const importing = useImportServers();
  const close = () => {
    importing.reset();
    setFile(null);
    setTrust(false);
    setReadError(null);
    onClose();
  };
  const onSubmit = async (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!file) return;
    setReadError(null);
    let document: unknown;
    try {
      document = JSON.parse(await readText(file));
    } catch (failure) {
      setReadError(`The file ${file.name} is not an export file (${messageOf(failure)}).`);
      return;
    }
    importing.mutate({ document, trust });
  };
  return (
    <Dialog
      open={open}
      title="Import servers"
      onClose={close}
      footer={
        <>
          <Button onClick={close}>{importing.isSuccess ? "Close" : "Cancel"}</Button>
          {!importing.isSuccess && (
            <Button variant="primary" type="submit" form="import-servers" busy={importing.isPending} disabled={!file}>
              Import
            </Button>
          )}
        </>
      }
    >
      <form id="import-servers" className="form" onSubmit={(event) => void onSubmit(event)}>
        <Field label="Export file" hint="A .json file from Export. Servers with names already in use are refused.">
          {(control) => (
            <input
              {...control}
              type="file"
              accept="application/json,.json"
              onChange={(event) => setFile(event.target.files?.[0] ?? null)}
            />
          )}
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={trust} onChange={(event) => setTrust(event.target.checked)} />
          Trust a file exported by another polybox instance (its tools will wait for review)
        </label>
        {readError && <ErrorBanner error={new Error(readError)} />}
        {importing.isError && <ErrorBanner error={importing.error} title="Nothing was imported" />}
        {importing.isSuccess && <Imported result={importing.data} />}
      </form>
    </Dialog>
  );
}
