import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { describe, expect, it } from "vitest";

import { clientConfigs, mcpUrl } from "./configs";

function config(id: string, token: string | null, url = "http://127.0.0.1:8765/mcp") {
  const found = clientConfigs(url, token).find((c) => c.id === id);
  if (!found) throw new Error(`no config ${id}`);
  return found;
}

describe("client configurations", () => {
  it("derives the MCP endpoint from the page's origin", () => {
    expect(mcpUrl("https://polybox.example.com")).toBe("https://polybox.example.com/mcp");
    expect(mcpUrl("http://127.0.0.1:8765/")).toBe("http://127.0.0.1:8765/mcp");
  });

  it("gives Claude Desktop an mcp-remote bridge with the token in an env variable", () => {
    const parsed = JSON.parse(config("claude-desktop", "pbx_secret").text) as unknown;

    expect(parsed).toEqual({
      mcpServers: {
        polybox: {
          command: "npx",
          args: ["-y", "mcp-remote", "http://127.0.0.1:8765/mcp", "--header", "Authorization:${AUTH_HEADER}"],
          env: { AUTH_HEADER: "Bearer pbx_secret" },
        },
      },
    });
  });

  it("shows Claude Desktop exactly the config the README gives (one answer in both places)", () => {
    const readme = readFileSync(resolve(process.cwd(), "../README.md"), "utf8"); // vitest runs in frontend/
    const block = /\*\*Claude Desktop\*\*[\s\S]*?```json\n([\s\S]*?)\n```/.exec(readme)?.[1];

    expect(block).toBe(config("claude-desktop", null).text);
  });

  it("lets mcp-remote use plain HTTP only when the host is not loopback, and asks for it then", () => {
    const remote = JSON.parse(config("claude-desktop", null, "http://10.0.0.5:8765/mcp").text) as {
      mcpServers: { polybox: { args: string[]; env?: unknown } };
    };

    expect(remote.mcpServers.polybox.args).toEqual(["-y", "mcp-remote", "http://10.0.0.5:8765/mcp", "--allow-http"]);
    expect(remote.mcpServers.polybox.env).toBeUndefined();
  });

  it("writes the Claude Code command with the header only when there is a token", () => {
    expect(config("claude-code", null).text).toBe("claude mcp add --transport http polybox http://127.0.0.1:8765/mcp");
    expect(config("claude-code", "pbx_secret").text).toBe(
      'claude mcp add --transport http polybox http://127.0.0.1:8765/mcp --header "Authorization: Bearer pbx_secret"',
    );
  });

  it("uses mcpServers with url for Cursor and servers with type http for VS Code", () => {
    expect(JSON.parse(config("cursor", "t").text)).toEqual({
      mcpServers: { polybox: { url: "http://127.0.0.1:8765/mcp", headers: { Authorization: "Bearer t" } } },
    });
    expect(JSON.parse(config("vscode", null).text)).toEqual({
      servers: { polybox: { type: "http", url: "http://127.0.0.1:8765/mcp" } },
    });
  });

  it("gives other clients the endpoint and the header line", () => {
    expect(config("generic", "t").text).toBe("http://127.0.0.1:8765/mcp\nAuthorization: Bearer t");
  });
});
