import { useEffect, useRef, useState } from "react";

import type { ProcessOut } from "../../api/types";
import { useLogTail } from "../../api/workspaces";
import { CodeView } from "../../components/CodeView";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SelectField } from "../../components/Field";

const STREAM_TEXT = {
  off: "The log is not followed: the workspace is not running",
  ended: "The process has ended: this is the whole of its kept log",
  none: "No process to follow: the LLM has started no background process or API",
  connecting: "Connecting…",
  live: "Live: new lines appear as they are written",
  reconnecting: "Connection lost; reconnecting…",
  failed: "The log tail stopped",
};

/**
 * A process's log tail, live over Server-Sent Events (the first process unless another is
 * chosen); it stays scrolled to the newest line unless the reader scrolled up.
 */
export function LogSection({ id, processes, running }: { id: string; processes: ProcessOut[]; running: boolean }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const process = chosen ?? processes[0]?.name ?? null;
  const tail = useLogTail(id, process, running);
  const state = !running ? "off" : process === null ? "none" : tail.ended ? "ended" : tail.state;
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const hasLines = tail.lines.length > 0;

  useEffect(() => {
    const view = box.current?.querySelector(".code-view");
    if (!view) return;
    const onScroll = () => {
      pinned.current = view.scrollTop + view.clientHeight >= view.scrollHeight - 8;
    };
    view.addEventListener("scroll", onScroll);
    return () => view.removeEventListener("scroll", onScroll);
  }, [hasLines]);

  useEffect(() => {
    const view = box.current?.querySelector(".code-view");
    if (view && pinned.current) view.scrollTop = view.scrollHeight;
  }, [tail.lines]);

  const options = processes.map((item) => ({ value: item.name, label: item.name }));
  return (
    <section className="section stack log-tail" aria-labelledby="log-heading" ref={box}>
      <h2 id="log-heading">Log tail</h2>
      {options.length > 0 && (
        <SelectField label="Process" options={options} value={process ?? ""} onChange={(event) => setChosen(event.target.value)} />
      )}
      <p className="muted stream-state" role="status">
        {STREAM_TEXT[state]}
      </p>
      {tail.state === "failed" && <ErrorBanner title="The log tail stopped" error={tail.error} />}
      {hasLines ? (
        <CodeView code={tail.lines.join("\n")} language="plain" label={`Log of ${process ?? id}`} lineNumbers={false} />
      ) : (
        running && process !== null && <p className="muted">Nothing logged yet.</p>
      )}
    </section>
  );
}
