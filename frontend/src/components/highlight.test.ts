import { describe, expect, it } from "vitest";

import { render } from "@testing-library/react";
import { createElement } from "react";

import { languageOf, tokenizeLines, Tokens } from "./highlight";

describe("highlight", () => {
  it("highlights C# keywords and strings", () => {
    const [line] = tokenizeLines('var name = "world"; Console.WriteLine($"hi {name}");', "csharp");
    const types = (line ?? []).flatMap((token) => token.types);
    expect(types).toContain("keyword");
    expect(types).toContain("string");
  });

  it("picks the language from the file name", () => {
    expect(languageOf("Program.cs")).toBe("csharp");
    expect(languageOf("Api.csproj")).toBe("markup");
    expect(languageOf("appsettings.json")).toBe("json");
    expect(languageOf("README")).toBe("plain");
  });

  it("renders a blank line as nothing (its line break is the caller's)", () => {
    const [, blank] = tokenizeLines("var a = 1;\n\nvar b = 2;", "csharp");
    const { container } = render(createElement(Tokens, { tokens: blank ?? [] }));
    expect(container.textContent).toBe("");
  });
});
