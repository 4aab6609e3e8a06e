"""How to fix a compiler, NuGet, MSBuild or SDK diagnostic, from its code and message.

Each suggestion reads the names the message quotes (the type, member, package, versions) and
says what to change, e.g. CS0246 on `StringBuilder` names `using System.Text;`, CS1061 on
`Lenght` offers `Length`. Messages are the tools' own English texts (the runtime runs them with
the invariant culture); a code without a rule here gets no suggestion rather than a vague one.
Where the fix is a NuGet package, the advice names the way to add one where the diagnostic came
from: a snippet's `packages`, or `dotnet_add_package` in a project workspace.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from typing import Literal

from polybox.sandbox.dotnet import DOTNET_VERSIONS, Diagnostic
from polybox.workspaces.known_names import COMMON_MEMBERS, EXTENSIONS, NAMESPACES, PACKAGES
from polybox.workspaces.schemas import DiagnosticOut

Where = Literal["snippet", "project"]
"""Where a diagnostic came from: a snippet run, or a build in a project workspace."""


def suggestion(code: str, message: str, where: Where = "snippet") -> str | None:
    """How to fix diagnostic `code` whose text is `message`; None when there is no rule."""
    if code in _FIXED:
        return _FIXED[code]
    rule = _RULES.get(code)
    if rule is None:
        return None
    try:
        return rule(_quoted(message), message).replace(_ADD_PACKAGE, _ADD_PACKAGE_IN[where])
    except IndexError:  # a message worded otherwise than the rule expects: no guess
        return None


def explained(diagnostic: Diagnostic, where: Where = "snippet") -> DiagnosticOut:
    """`diagnostic` as an answer shows it, with its suggestion."""
    return DiagnosticOut(
        **dataclasses.asdict(diagnostic),
        suggestion=suggestion(diagnostic.code, diagnostic.message, where),
    )


def error_advice(kind: str) -> tuple[str, ...]:
    """What to do about a refused call of kind `kind` whose error names no fix of its own."""
    return _ERROR_ADVICE.get(kind, _ERROR_ADVICE["dotnet_error"])


_ERROR_ADVICE: dict[str, tuple[str, ...]] = {
    "package_unavailable": (
        'Check the package id (as on nuget.org, dots included) and version; give "Name" alone '
        "for the highest stable version the server's feed has.",
    ),
    "limit": (
        "dotnet_list_containers shows your workspaces and what they use; stop the ones you no "
        "longer need (dotnet_stop_container) or free space (`dotnet clean`).",
    ),
    "invalid_project": ("Fix the value the message names and call again.",),
    "dotnet_error": (
        "Fix what the message names. If the program has not been built yet, call "
        "dotnet_build_project first: its diagnostics say what stops the build.",
    ),
}

# The rules say "add it to `packages`"; in a project workspace that is dotnet_add_package.
_ADD_PACKAGE = "to `packages`"
_ADD_PACKAGE_IN: dict[Where, str] = {
    "snippet": "to `packages` (or a `#:package` line)",
    "project": "with dotnet_add_package",
}


def _quoted(message: str) -> list[str]:
    return re.findall(r"'([^']*)'", message)


def _missing_type(name: str) -> str:
    bare = re.sub(r"<.*", "", name)
    if bare in NAMESPACES:
        namespace = NAMESPACES[bare]
        return f"`{bare}` is in the namespace {namespace}: add `using {namespace};` at the top."
    if bare in PACKAGES:
        package, namespace = PACKAGES[bare]
        return (
            f"`{bare}` comes from the NuGet package {package}: add it to `packages` and "
            f"`using {namespace};`."
        )
    if bare in _NAMESPACE_ROOTS:
        package = _NAMESPACE_ROOTS[bare]
        return (
            f"The namespace `{bare}` comes from the NuGet package {package}: add it to `packages`."
        )
    return (
        f"Check the spelling and casing of `{bare}`; if it is a .NET type outside the default "
        "usings, add `using <its namespace>;`; if a NuGet package defines it, add the package to "
        "`packages`."
    )


def _namespace_roots() -> dict[str, str]:
    """The first part of the namespaces of the known packages, where only one package has it:
    `using Newtonsoft.Json;` without the package makes the compiler name `Newtonsoft`."""
    packages: dict[str, set[str]] = {}
    for package, namespace in [*PACKAGES.values(), *EXTENSIONS.values()]:
        packages.setdefault(namespace.split(".")[0], set()).add(package)
    return {root: found.pop() for root, found in packages.items() if len(found) == 1}


_NAMESPACE_ROOTS = _namespace_roots()


def _cs0246(names: list[str], message: str) -> str:
    return _missing_type(names[0])


def _cs0234(names: list[str], message: str) -> str:
    member, namespace = names[0], names[1]
    return (
        f"{namespace} has no `{member}`: check the spelling; if `{namespace}.{member}` comes "
        "from a NuGet package, add that package to `packages`."
    )


def _cs0103(names: list[str], message: str) -> str:
    name = names[0]
    if name in NAMESPACES or name in PACKAGES:
        return _missing_type(name)
    return (
        f"Nothing named `{name}` is declared here: declare it before use (`var {name} = …;`), fix "
        "its spelling or casing, or qualify it with its type (`Type.Member`)."
    )


def _cs1002(names: list[str], message: str) -> str:
    return (
        "End the statement with `;` at the line and column given (often the previous line's end)."
    )


def _conversion(source: str, target: str) -> str:
    if target == "string":
        return f'call `.ToString()` on the {source} value (or interpolate it: `$"{{value}}"`)'
    if source == "string" and target in {"int", "long", "double", "decimal", "bool", "float"}:
        return f"parse it: `{target}.Parse(text)` (or `{target}.TryParse(text, out var value)`)"
    return f"convert the {source} to {target} explicitly, or change the declared type to {source}"


def _cs0029(names: list[str], message: str) -> str:
    source, target = names[0], names[1]
    return f"A {source} is not a {target}: {_conversion(source, target)}."


def _cs0266(names: list[str], message: str) -> str:
    source, target = names[0], names[1]
    return (
        f"Narrowing {source} to {target} needs an explicit cast: `({target})value` (it may lose "
        f"data; `checked(({target})value)` throws instead), or declare the variable as {source}."
    )


def _cs1503(names: list[str], message: str) -> str:
    argument = re.match(r"Argument (\d+)", message)
    position = argument.group(1) if argument else "?"
    source, target = names[0], names[1]
    return (
        f"Argument {position} must be a {target}: {_conversion(source, target)}, or call an "
        f"overload that takes a {source}."
    )


def _cs0161(names: list[str], message: str) -> str:
    return (
        f"Every path through {names[0]} must end in `return <value>;` or `throw`: add a return "
        "after the last branch (or make it `void` if it returns nothing)."
    )


def _member_missing(names: list[str], message: str) -> str:
    owner, member = names[0], names[1]
    if member in EXTENSIONS:
        package, namespace = EXTENSIONS[member]
        return (
            f"`{member}` is an extension method of the NuGet package {package}: add it to "
            f"`packages` and `using {namespace};`."
        )
    close = difflib.get_close_matches(member, COMMON_MEMBERS, n=1, cutoff=0.7)
    guess = f"Did you mean `{close[0]}`? " if close else ""
    return (
        f"{guess}{owner} has no member `{member}` (names are case-sensitive); if `{member}` is an "
        "extension method, add the `using` of its namespace or its package."
    )


def _cs8803(names: list[str], message: str) -> str:
    return (
        "Move the class/record/struct/enum declarations below the statements (statements first, "
        "types last), or put the statements in a `static void Main()` inside a class."
    )


def _cs0201(names: list[str], message: str) -> str:
    return (
        "This expression's value is unused: assign it (`var result = …;`), print it "
        "(`Console.WriteLine(…);`), or make it the snippet's last line without `;` to have it "
        "printed."
    )


def _cs0120(names: list[str], message: str) -> str:
    member = names[0]
    owner = member.rsplit(".", 1)[0] if "." in member else "its type"
    return (
        f"{member} belongs to an instance: call it on an object (`new {owner}(…).…`) or declare "
        "it `static`."
    )


def _cs0019(names: list[str], message: str) -> str:
    operator, left, right = names[0], names[1], names[2]
    return (
        f"`{operator}` is not defined between {left} and {right}: convert one side first (e.g. "
        "`int.Parse(text)` for a number in a string), or use a method of the type instead."
    )


def _cs7036(names: list[str], message: str) -> str:
    parameter, method = names[0], names[1]
    return f"Pass a value for the parameter `{parameter}` of {method} (it has no default)."


def _cs0101(names: list[str], message: str) -> str:
    namespace, name = names[0], names[1]
    return (
        f"`{name}` is declared twice in {namespace}, maybe in two files: delete or rename one "
        "(dotnet_get_project_files lists the files)."
    )


def _cs0111(names: list[str], message: str) -> str:
    owner, member = names[0], names[1]
    return (
        f"{owner} declares `{member}` twice with the same parameter types: delete one, rename "
        "it, or change its parameters."
    )


def _expected(names: list[str], message: str) -> str:
    token = message.split(" ", 1)[0]
    return (
        f"A `{token}` is missing at the line and column given (or just before): count the "
        "brackets of the block that ends there."
    )


def _nu1101(names: list[str], message: str) -> str:
    package = re.search(r"Unable to find package (\S+?)\.? ", message)
    name = package.group(1) if package else "this package"
    return (
        f"The package feed has no package named {name}: check the exact id (as on nuget.org, "
        "e.g. `Newtonsoft.Json`, dots included); this feed cannot be searched, so ask the admin "
        "which packages it serves if the id is right."
    )


def _nu1102(names: list[str], message: str) -> str:
    package = re.search(r"Unable to find package (\S+)", message)
    nearest = re.search(r"Nearest version: ([^\s\]]+)", message)
    name = package.group(1) if package else "the package"
    closest = (
        f"; the nearest it has is {nearest.group(1)}: ask for `{name}@{nearest.group(1)}`"
        if nearest
        else ""
    )
    return (
        f"The feed has no such version of {name}{closest}, or give `{name}` alone for its "
        "highest stable version."
    )


def _nu1603(names: list[str], message: str) -> str:
    resolved = re.search(
        r"(\S+) (\S+) was resolved|best match of (\S+) (\S+) was resolved", message
    )
    if resolved:
        name, version = (
            (resolved.group(1), resolved.group(2))
            if resolved.group(1)
            else (resolved.group(3), resolved.group(4))
        )
        return (
            f"A dependency's exact version is not on the feed, so {name} {version} was taken "
            f"instead; usually harmless. To pin it yourself, add `{name}@{version}` to `packages`."
        )
    return (
        "A dependency's exact version is not on the feed and a higher one was taken; usually "
        "harmless."
    )


def _netsdk1045(names: list[str], message: str) -> str:
    wanted = re.search(r"targeting (\.NET [\d.]+)", message)
    versions = ", ".join(f"net{version}.0" for version in DOTNET_VERSIONS)
    return (
        f"This server cannot build for {wanted.group(1) if wanted else 'that framework'}: set "
        f"<TargetFramework> to one of {versions}."
    )


_RULES: dict[str, Callable[[list[str], str], str]] = {
    "CS0246": _cs0246,
    "CS0234": _cs0234,
    "CS0103": _cs0103,
    "CS1002": _cs1002,
    "CS0029": _cs0029,
    "CS0161": _cs0161,
    "CS1061": _member_missing,
    "CS0117": _member_missing,
    "CS8803": _cs8803,
    "CS0201": _cs0201,
    "CS0120": _cs0120,
    "CS0266": _cs0266,
    "CS1503": _cs1503,
    "CS0019": _cs0019,
    "CS7036": _cs7036,
    "CS0101": _cs0101,
    "CS0111": _cs0111,
    "CS1513": _expected,
    "CS1026": _expected,
    "NU1101": _nu1101,
    "NU1102": _nu1102,
    "NU1603": _nu1603,
    "NETSDK1045": _netsdk1045,
}


_MORE_THAN_ONE_PROJECT = (
    "The folder holds more than one project or solution file: delete the extra one, or name the "
    "one to use after the command (e.g. `dotnet build App.csproj`)."
)
_FIXED: dict[str, str] = {
    "CS8802": (
        "Only Program.cs may hold top-level statements: in every other file, put the code in a "
        "class (`public static class Helpers { public static void Run() { … } }`) and call it "
        "from Program.cs."
    ),
    "CS0017": (
        "Keep one entry point: remove the extra `static void Main` (or the top-level statements) "
        "so that only one file starts the program."
    ),
    "MSB1011": _MORE_THAN_ONE_PROJECT,  # `dotnet build` in a folder with two
    "MSB1050": _MORE_THAN_ONE_PROJECT,  # `dotnet build <folder>` with two
    "NU1301": (
        "The package feed could not be reached: retry in a moment; if it keeps failing, the admin "
        "should check the NuGet source (address, network, credentials) of this server."
    ),
    "MSB1009": (
        "MSBuild found no project file at the path given: check the path and name (ending in "
        ".csproj), or run the command in the project's directory."
    ),
    "NETSDK1004": (
        "The project was not restored: restore it first (`dotnet restore`, or build without "
        "`--no-restore`)."
    ),
}
"""Rules whose advice does not depend on the message."""
