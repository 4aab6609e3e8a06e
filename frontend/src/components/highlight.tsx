/** Syntax highlighting with Prism (via prism-react-renderer), coloured by CSS classes, not inline styles. */
import { normalizeTokens, Prism, type Token } from "prism-react-renderer";

export type CodeLanguage = "python" | "json" | "javascript" | "typescript" | "yaml" | "markdown" | "plain";

/** The code as lines of tokens; "plain" (or an unknown language) gives one token per line. */
export function tokenizeLines(code: string, language: CodeLanguage): Token[][] {
  const grammar = language === "plain" ? undefined : Prism.languages[language];
  if (!grammar) return code.split("\n").map((line) => [{ types: ["plain"], content: line }]);
  return normalizeTokens(Prism.tokenize(code, grammar));
}

/** One line's tokens as spans with `token <type>` classes (styled in styles/code.css). */
export function Tokens({ tokens }: { tokens: Token[] }) {
  return (
    <>
      {tokens.map((token, index) =>
        token.types.length === 1 && token.types[0] === "plain" ? (
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
