import { useEffect, useRef, useState } from "react";

import { Button } from "./Button";
import { cx } from "./cx";

/** Put `text` on the clipboard (the Clipboard API needs https or localhost; else it throws). */
export async function copyText(text: string): Promise<void> {
  if (!("clipboard" in navigator)) throw new Error("the clipboard is not available here");
  await navigator.clipboard.writeText(text);
}

export interface CopyBlockProps {
  text: string;
  /** Names the block and its button ("Copy <label>"). */
  label: string;
  /** Long text wraps in a scrollable block; "inline" shows one line. */
  variant?: "block" | "inline";
  className?: string;
}

/** Text to copy (a config, a token, a URL) with a Copy button that says when it worked. */
export function CopyBlock({ text, label, variant = "block", className }: CopyBlockProps) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const copy = () => {
    copyText(text).then(
      () => setState("copied"),
      () => setState("failed"),
    );
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setState("idle"), 2500);
  };

  return (
    <div className={cx("copy-block", `copy-${variant}`, className)}>
      <pre className="copy-text" role="region" aria-label={label} tabIndex={0}>
        <code>{text}</code>
      </pre>
      <div className="copy-actions">
        <Button size="sm" onClick={copy} aria-label={`Copy ${label}`}>
          {state === "copied" ? "Copied" : "Copy"}
        </Button>
        <span className="visually-hidden" role="status">
          {state === "copied" ? `${label} copied to the clipboard` : state === "failed" ? "Copy failed: select the text and copy it" : ""}
        </span>
      </div>
    </div>
  );
}
