/**
 * Copy-ready MCP client configurations for this polybox: each names the server "polybox", points
 * at the Streamable HTTP endpoint and, when a token is given, sends it as a bearer token.
 */

export interface ClientConfig {
  id: string;
  /** The client's name as its users know it. */
  name: string;
  /** Where the text goes (a file path or "terminal"). */
  where: string;
  /** What the text is, for the copy button ("Claude Desktop configuration"). */
  label: string;
  text: string;
  note?: string;
}

const SERVER_NAME = "polybox";
/** Stands in for the token until one is created, so the shape of the config is visible. */
export const TOKEN_PLACEHOLDER = "<your-api-token>";

/** The MCP endpoint of the polybox serving this page (`<origin>/mcp`). */
export function mcpUrl(origin: string): string {
  return `${origin.replace(/\/+$/, "")}/mcp`;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * Configs for Claude Desktop, Claude Code, Cursor, VS Code and any Streamable HTTP client.
 * `token` null leaves the Authorization header out (local mode on this machine needs none).
 */
export function clientConfigs(url: string, token: string | null): ClientConfig[] {
  const bearer = token === null ? null : `Bearer ${token}`;
  const headers = bearer === null ? {} : { headers: { Authorization: bearer } };

  // Claude Desktop's config file starts local (stdio) servers only: mcp-remote bridges to HTTP.
  // The header travels in an env variable because Desktop mangles spaces inside args.
  const bridgeArgs = ["-y", "mcp-remote", url];
  if (url.startsWith("http://") && !isLoopback(url)) bridgeArgs.push("--allow-http");
  if (bearer !== null) bridgeArgs.push("--header", "Authorization:${AUTH_HEADER}");
  const desktop = {
    mcpServers: {
      [SERVER_NAME]: {
        command: "npx",
        args: bridgeArgs,
        ...(bearer === null ? {} : { env: { AUTH_HEADER: bearer } }),
      },
    },
  };

  const claudeCode = [`claude mcp add --transport http ${SERVER_NAME} ${url}`];
  if (bearer !== null) claudeCode.push(`--header "Authorization: ${bearer}"`);

  return [
    {
      id: "claude-desktop",
      name: "Claude Desktop",
      where: "claude_desktop_config.json (Settings → Developer → Edit Config)",
      label: "Claude Desktop configuration",
      text: json(desktop),
      note: "Needs Node.js (npx) on this computer. Restart Claude Desktop after saving.",
    },
    {
      id: "claude-code",
      name: "Claude Code",
      where: "terminal",
      label: "Claude Code command",
      text: claudeCode.join(" "),
      note: "Add --scope user to use polybox in every project.",
    },
    {
      id: "cursor",
      name: "Cursor",
      where: "~/.cursor/mcp.json (or .cursor/mcp.json in a project)",
      label: "Cursor configuration",
      text: json({ mcpServers: { [SERVER_NAME]: { url, ...headers } } }),
    },
    {
      id: "vscode",
      name: "VS Code",
      where: ".vscode/mcp.json in your workspace",
      label: "VS Code configuration",
      text: json({ servers: { [SERVER_NAME]: { type: "http", url, ...headers } } }),
    },
    {
      id: "generic",
      name: "Other clients",
      where: "any client that speaks MCP Streamable HTTP",
      label: "Streamable HTTP endpoint",
      text: bearer === null ? url : `${url}\nAuthorization: ${bearer}`,
    },
  ];
}
