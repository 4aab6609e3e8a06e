import { useSearchParams } from "react-router";

import type { WorkspaceFileOut } from "../../api/types";
import { useWorkspaceFile, useWorkspaceFiles } from "../../api/workspaces";
import { Button } from "../../components/Button";
import { CodeView } from "../../components/CodeView";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { languageOf } from "../../components/highlight";
import { Spinner } from "../../components/Spinner";
import { Table } from "../../components/Table";
import { formatBytes } from "./format";

function baseName(path: string): string {
  return path.split("/").pop() ?? path;
}

/** `dir` and its parents as breadcrumbs: [["", "workspace"], ["src", "src"], ["src/Api", "Api"]]. */
function crumbs(dir: string): [string, string][] {
  const parts = dir ? dir.split("/") : [];
  return [["", "workspace"], ...parts.map((part, index): [string, string] => [parts.slice(0, index + 1).join("/"), part])];
}

function FileContent({ id, path }: { id: string; path: string }) {
  const file = useWorkspaceFile(id, path);
  if (file.isPending) return <Spinner label={`Loading ${path}`} />;
  if (file.isError) return <ErrorBanner error={file.error} onRetry={() => void file.refetch()} />;
  if (file.data.text === null)
    return <p className="muted">{path} is not a text file ({formatBytes(file.data.size)}); it is not shown.</p>;
  return <CodeView code={file.data.text} language={languageOf(path)} label={`Contents of ${path}`} />;
}

/**
 * The workspace's files, read only: a directory listing to walk through, and the chosen file with
 * its code highlighted. Directory and file live in the URL (?dir=…&file=…) so a view can be linked.
 */
export function FilesSection({ id }: { id: string }) {
  const [params, setParams] = useSearchParams();
  const dir = params.get("dir") ?? "";
  const file = params.get("file");
  const files = useWorkspaceFiles(id, dir);

  const go = (next: { dir?: string; file?: string | null }) => {
    const search = new URLSearchParams(params);
    const nextDir = next.dir ?? dir;
    if (nextDir) search.set("dir", nextDir);
    else search.delete("dir");
    const nextFile = next.file === undefined ? file : next.file;
    if (nextFile) search.set("file", nextFile);
    else search.delete("file");
    setParams(search, { replace: true });
  };
  const open = (entry: WorkspaceFileOut) => (entry.is_dir ? go({ dir: entry.path, file: null }) : go({ file: entry.path }));

  return (
    <section className="section stack" aria-labelledby="files-heading">
      <h2 id="files-heading">Files</h2>
      <nav className="file-path" aria-label="Folder">
        {crumbs(dir).map(([path, name], index, all) =>
          index === all.length - 1 ? (
            <span key={path} aria-current="location">
              <strong>{name}</strong>
            </span>
          ) : (
            <span key={path} className="file-path">
              <Button variant="ghost" size="sm" onClick={() => go({ dir: path, file: null })}>
                {name}
              </Button>
              <span aria-hidden="true">/</span>
            </span>
          ),
        )}
      </nav>
      {files.isPending && <Spinner label="Loading files" />}
      {files.isError && <ErrorBanner error={files.error} onRetry={() => void files.refetch()} />}
      {files.data && (
        <Table
          caption={`Files in /workspace/${dir}`}
          rows={files.data}
          rowKey={(entry) => entry.path}
          isSelected={(entry) => entry.path === file}
          empty={<EmptyState title="This folder is empty" />}
          columns={[
            {
              key: "name",
              header: "Name",
              render: (entry) => (
                <Button
                  variant="ghost"
                  size="sm"
                  aria-pressed={entry.is_dir ? undefined : entry.path === file}
                  onClick={() => open(entry)}
                >
                  {baseName(entry.path)}
                  {entry.is_dir ? "/" : ""}
                </Button>
              ),
            },
            { key: "size", header: "Size", align: "end", render: (entry) => (entry.is_dir ? "–" : formatBytes(entry.size)) },
            {
              key: "modified",
              header: "Modified",
              render: (entry) => new Date(entry.modified * 1000).toLocaleString(),
            },
          ]}
        />
      )}
      {file && <FileContent id={id} path={file} />}
    </section>
  );
}
