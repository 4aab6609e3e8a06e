import { useMemo } from "react";

import { cx } from "./cx";
import { type CodeLanguage, tokenizeLines, Tokens } from "./highlight";

export interface CodeViewProps {
  code: string;
  language?: CodeLanguage;
  /** Names the code region for screen readers, e.g. "Code of weather.forecast v3". */
  label: string;
  lineNumbers?: boolean;
  /** 1-based lines to mark (e.g. where an error was raised). */
  highlightLines?: number[];
  className?: string;
}

/** Read-only code with syntax highlighting and line numbers; scrolls inside itself. */
export function CodeView({ code, language = "python", label, lineNumbers = true, highlightLines = [], className }: CodeViewProps) {
  const lines = useMemo(() => tokenizeLines(code.replace(/\n$/, ""), language), [code, language]);
  const marked = new Set(highlightLines);
  return (
    <div className={cx("code-view", className)} role="region" aria-label={label} tabIndex={0}>
      <pre className="code">
        <code>
          {lines.map((tokens, index) => (
            <span key={index} className={cx("code-line", marked.has(index + 1) && "code-line-marked")}>
              {lineNumbers && (
                <span className="code-gutter" aria-hidden="true">
                  {index + 1}
                </span>
              )}
              <span className="code-text">
                <Tokens tokens={tokens} />
              </span>
              {"\n"}
            </span>
          ))}
        </code>
      </pre>
    </div>
  );
}
