"""polybox's own project templates: console, webapi, classlib, worker and xunit on .NET 8, 9, 10.

SDK 10's `dotnet new` only targets net10.0, so polybox writes its project files itself: one
generator with per-template parts (SDK, output type, packages, source files). The package
versions are pinned to ones the configured feed serves; `polybox dotnet prepare` restores every
template of every version once, so a new project restores offline in seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args
from xml.sax.saxutils import quoteattr

from polybox.sandbox.dotnet.model import DotnetError

Template = Literal["console", "webapi", "classlib", "worker", "xunit"]
"""The project templates a workspace can start from (tool inputs validate against it)."""
TEMPLATES: tuple[Template, ...] = get_args(Template)

PROJECT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}")
NUGET_CONFIG = "nuget.config"
_HOSTING = {"8": "8.0.1", "9": "9.0.10", "10": "10.0.5"}  # Microsoft.Extensions.Hosting
_TEST_PACKAGES = (
    ("Microsoft.NET.Test.Sdk", "17.14.1"),
    ("xunit", "2.9.3"),
    ("xunit.runner.visualstudio", "2.8.2"),
)


class InvalidProjectError(DotnetError):
    """A template or project name polybox cannot make; the message says what is allowed."""

    kind = "invalid_project"


@dataclass(frozen=True)
class _Parts:
    sdk: str
    properties: tuple[tuple[str, str], ...]
    packages: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, str], ...]  # (path, text) with {name} and {version} placeholders


_CONSOLE = """\
using System.Runtime.InteropServices;

Console.WriteLine($"Hello from {{RuntimeInformation.FrameworkDescription}}!");
"""

_WEBAPI = """\
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

// The URL comes from ASPNETCORE_URLS (polybox sets http://127.0.0.1:<port>).
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

var items = new ConcurrentDictionary<int, Item>();
items[1] = new Item(1, "first");

app.MapGet("/", () =>
    new {{ service = "{name}", runtime = RuntimeInformation.FrameworkDescription }});
app.MapGet("/items", () => items.Values.OrderBy(item => item.Id));
app.MapGet("/items/{{id:int}}", (int id) =>
    items.TryGetValue(id, out var item) ? Results.Ok(item) : Results.NotFound());
app.MapPost("/items", (Item item) =>
{{
    items[item.Id] = item;
    return Results.Created($"/items/{{item.Id}}", item);
}});

app.Run();

public record Item(int Id, string Name);
"""

_APPSETTINGS = """\
{{
  "Logging": {{
    "LogLevel": {{
      "Default": "Information",
      "Microsoft.AspNetCore": "Warning",
      "Microsoft.Hosting.Lifetime": "Information"
    }}
  }}
}}
"""

_CLASSLIB = """\
namespace {name};

public static class Greeter
{{
    public static string Greet(string who) => $"Hello, {{who}}!";
}}
"""

_WORKER_PROGRAM = """\
using {name};

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddHostedService<Worker>();
builder.Build().Run();
"""

_WORKER = """\
namespace {name};

public class Worker(ILogger<Worker> logger) : BackgroundService
{{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {{
        while (!stoppingToken.IsCancellationRequested)
        {{
            logger.LogInformation("Worker running at: {{Time}}", DateTimeOffset.Now);
            await Task.Delay(1000, stoppingToken);
        }}
    }}
}}
"""

_XUNIT = """\
namespace {name};

public class UnitTest1
{{
    [Fact]
    public void Adds() => Assert.Equal(4, 2 + 2);
}}
"""

_NUGET_CONFIG = """\
<?xml version="1.0" encoding="utf-8"?>
<!-- Written by polybox: this workspace has no network. Packages come only from /nuget, the
     shared folder polybox fills through its restore broker (dotnet_add_package, or any
     PackageReference in the project file, fetched before each build). -->
<configuration>
  <packageSources>
    <clear />
    <add key="polybox" value="/nuget" />
  </packageSources>
  <fallbackPackageFolders>
    <clear />
    <add key="polybox" value="/nuget" />
  </fallbackPackageFolders>
  <auditSources>
    <clear />
  </auditSources>
</configuration>
"""


def _parts(template: str, version: str) -> _Parts:
    exe = (("OutputType", "Exe"),)
    if template == "console":
        return _Parts("Microsoft.NET.Sdk", exe, (), (("Program.cs", _CONSOLE),))
    if template == "webapi":
        files = (("Program.cs", _WEBAPI), ("appsettings.json", _APPSETTINGS))
        return _Parts("Microsoft.NET.Sdk.Web", (), (), files)
    if template == "classlib":
        return _Parts("Microsoft.NET.Sdk", (), (), (("Greeter.cs", _CLASSLIB),))
    if template == "worker":
        packages = (("Microsoft.Extensions.Hosting", _HOSTING[version]),)
        files = (("Program.cs", _WORKER_PROGRAM), ("Worker.cs", _WORKER))
        return _Parts("Microsoft.NET.Sdk.Worker", exe, packages, files)
    test = (("IsPackable", "false"), ("IsTestProject", "true"))
    return _Parts("Microsoft.NET.Sdk", test, _TEST_PACKAGES, (("UnitTest1.cs", _XUNIT),))


def check_project(template: str, name: str) -> None:
    """Raise InvalidProjectError unless `template` is known and `name` a valid project name."""
    if template not in TEMPLATES:
        raise InvalidProjectError(
            f"template {template[:40]!r} is unknown; choose one of {', '.join(TEMPLATES)}"
        )
    if not PROJECT_NAME.fullmatch(name):
        raise InvalidProjectError(
            f"project name {name[:80]!r} is invalid: use a C# identifier (letters, digits, '_', "
            "not starting with a digit), optionally dotted, e.g. TodoApi or Acme.Tools"
        )


def project_files(template: str, version: str, name: str) -> dict[str, str]:
    """The files of a new `template` project `name` on .NET `version` (path -> text)."""
    check_project(template, name)
    parts = _parts(template, version)
    properties = (
        ("TargetFramework", f"net{version}.0"),
        *parts.properties,
        ("ImplicitUsings", "enable"),
        ("Nullable", "enable"),
        ("NuGetAudit", "false"),
    )
    lines = [f"<Project Sdk={quoteattr(parts.sdk)}>", "", "  <PropertyGroup>"]
    lines += [f"    <{key}>{value}</{key}>" for key, value in properties]
    lines.append("  </PropertyGroup>")
    if parts.packages:
        lines += ["", "  <ItemGroup>"]
        lines += [
            f"    <PackageReference Include={quoteattr(package)} Version={quoteattr(pinned)} />"
            for package, pinned in parts.packages
        ]
        lines.append("  </ItemGroup>")
    if template == "xunit":
        lines += ["", "  <ItemGroup>", '    <Using Include="Xunit" />', "  </ItemGroup>"]
    lines += ["", "</Project>", ""]
    files = {f"{name}.csproj": "\n".join(lines), NUGET_CONFIG: _NUGET_CONFIG}
    for path, text in parts.files:
        files[path] = text.format(name=name, version=version)
    return files
