/** Syntax highlighting with Prism (via prism-react-renderer), coloured by CSS classes, not inline styles. */
import { normalizeTokens, Prism, type Token } from "prism-react-renderer";

import "./prismLanguages";

export type CodeLanguage =
  | "python"
  | "json"
  | "javascript"
  | "typescript"
  | "yaml"
  | "markdown"
  | "csharp"
  | "markup"
  | "plain";

const EXTENSIONS: Record<string, CodeLanguage> = {
  py: "python",
  json: "json",
  js: "javascript",
  ts: "typescript",
  yml: "yaml",
  yaml: "yaml",
  md: "markdown",
  cs: "csharp",
  csx: "csharp",
  csproj: "markup",
  props: "markup",
  targets: "markup",
  xml: "markup",
  config: "markup",
  html: "markup",
};

/** The language to highlight a file in, from its name's extension ("plain" when unknown). */
export function languageOf(path: string): CodeLanguage {
  const dot = path.lastIndexOf(".");
  return dot === -1 ? "plain" : (EXTENSIONS[path.slice(dot + 1).toLowerCase()] ?? "plain");
}

/** The code as lines of tokens; "plain" (or an unknown language) gives one token per line. */
export function tokenizeLines(code: string, language: CodeLanguage): Token[][] {
  const grammar = language === "plain" ? undefined : Prism.languages[language];
  if (!grammar) return code.split("\n").map((line) => [{ types: ["plain"], content: line }]);
  return normalizeTokens(Prism.tokenize(code, grammar));
}

/**
 * One line's tokens as spans with `token <type>` classes (styled in styles/code.css). A blank
 * line's one token is marked `empty` and holds a "\n" of its own: the caller ends each line.
 */
export function Tokens({ tokens }: { tokens: Token[] }) {
  return (
    <>
      {tokens.map((token, index) =>
        token.empty ? null : token.types.length === 1 && token.types[0] === "plain" ? (
          token.content
        ) : (
          <span key={index} className={`token ${token.types.join(" ")}`}>
            {token.content}
          </span>
        ),
      )}
    </>
  );
}
