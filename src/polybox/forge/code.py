"""Static analysis of tool code: syntax, `main`, schemas, imports and hosts, without running it.

Submitted code is hostile, so nothing here imports, evaluates or executes it: the source is parsed
(and compiled, which only builds bytecode) and every fact comes from the syntax tree. Schemas come
from `main`'s signature (see `signature.py`). A module-level `TOOL_ANNOTATIONS = {...}` literal
declares the MCP tool annotations (readOnlyHint, destructiveHint, idempotentHint, openWorldHint,
title).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Sequence, Set
from typing import Any
from urllib.parse import urlsplit

from polybox.forge import signature
from polybox.forge.names import MAX_CODE_BYTES
from polybox.forge.schemas import CodeIssue, CodeReport
from polybox.forge.signature import SignatureProblem, TypingNames, issue_at, json_literal
from polybox.sandbox.egress import (
    DEFAULT_PORTS,
    REQUEST_NETWORK_TOOL,
    host_entry,
    is_host_allowed,
)
from polybox.sandbox.python.policy import FIELD_MODULE, FIELD_NAME

MAIN = "main"
ANNOTATIONS_NAME = "TOOL_ANNOTATIONS"
REQUEST_MODULE_TOOL = "polybox_request_module"
_TOOL_ANNOTATION_KEYS = {
    "title": str,
    "readOnlyHint": bool,
    "destructiveHint": bool,
    "idempotentHint": bool,
    "openWorldHint": bool,
}
_URL = re.compile(r"https?://[^\s\"'<>\\]+", re.IGNORECASE)
_HOST = re.compile(r"[a-z0-9.\-:]+")


def analyze_code(
    code: str, *, allowed_modules: Set[str], allowed_hosts: Sequence[str]
) -> CodeReport:
    """Report everything wrong with `code` at once; never runs it.

    `allowed_modules` holds module names (a name allows its submodules, as in the sandbox);
    `allowed_hosts` holds `host` (ports 80/443) or `host:port` entries, as in the egress policy.
    """
    tree, errors = _parse(code)
    if tree is None:
        return _report(errors=errors)
    names = TypingNames(tree)
    imports, import_warnings, import_errors = _imports(tree, allowed_modules)
    hosts, host_warnings = _hosts(tree, allowed_hosts)
    annotations, annotation_errors = _tool_annotations(tree)
    errors += import_errors + annotation_errors
    main = _find_main(tree, errors)
    description = input_schema = output_schema = None
    wrapped = False
    if main is not None:
        description = _first_line(ast.get_docstring(main))
        input_schema = signature.input_schema(main, names, errors)
        output_schema, wrapped = signature.output_schema(main, names, errors)
    return _report(
        errors=errors,
        warnings=import_warnings + host_warnings,
        description=description,
        input_schema=input_schema,
        output_schema=output_schema,
        output_wrapped=wrapped,
        annotations=annotations,
        imports=imports,
        hosts=hosts,
    )


def return_annotation(code: str) -> str | None:
    """`main`'s return annotation as written (`int`, `list[str]`); None without one."""
    tree, _ = _parse(code)
    main = None if tree is None else _find_main(tree, [])
    return None if main is None or main.returns is None else ast.unparse(main.returns)


def _report(
    *,
    errors: list[CodeIssue],
    warnings: list[CodeIssue] | None = None,
    imports: dict[str, bool] | None = None,
    hosts: dict[str, bool] | None = None,
    **found: Any,
) -> CodeReport:
    imports = imports or {}
    hosts = hosts or {}
    disallowed_imports = sorted(name for name, allowed in imports.items() if not allowed)
    disallowed_hosts = sorted(host for host, allowed in hosts.items() if not allowed)
    defaults: dict[str, Any] = {"description": None, "input_schema": None, "output_schema": None}
    defaults |= {"output_wrapped": False, "annotations": {}}
    return CodeReport(
        ok=not errors and not disallowed_imports and not disallowed_hosts,
        errors=sorted(errors, key=_place),
        warnings=sorted(warnings or [], key=_place),
        imports=sorted(imports),
        disallowed_imports=disallowed_imports,
        hosts=sorted(hosts),
        disallowed_hosts=disallowed_hosts,
        **(defaults | found),
    )


def _parse(code: str) -> tuple[ast.Module | None, list[CodeIssue]]:
    size = len(code.encode("utf-8", "surrogatepass"))
    if size > MAX_CODE_BYTES:
        message = f"code is {size} bytes; the limit is {MAX_CODE_BYTES}"
        return None, [CodeIssue(line=None, message=message)]
    try:
        tree = ast.parse(code, filename="<tool>")
        # Compiling builds bytecode without running it and finds what the parser lets through
        # ('return' outside a function, 'await' outside async code, bad nonlocals).
        compile(tree, "<tool>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        message = f"syntax error: {exc.msg}"
        return None, [CodeIssue(line=exc.lineno, column=exc.offset, message=message)]
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, [CodeIssue(line=None, message=f"the code cannot be parsed: {exc}")]
    return tree, []


def _find_main(tree: ast.Module, errors: list[CodeIssue]) -> ast.AsyncFunctionDef | None:
    found = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == MAIN
    ]
    if not found:
        errors.append(
            CodeIssue(line=None, message=f"no `async def {MAIN}(...)` at the top level of the code")
        )
        return None
    main = found[-1]
    if isinstance(main, ast.FunctionDef):
        message = f"`{MAIN}` must be a coroutine: write `async def {MAIN}(...)`"
        errors.append(issue_at(main, message))
        return None
    return main


def _imports(
    tree: ast.Module, allowed: Set[str]
) -> tuple[dict[str, bool], list[CodeIssue], list[CodeIssue]]:
    """Every imported module (name -> allowed), warnings for the disallowed, relative-import errors.

    The rule is the sandbox's: an entry allows itself and its submodules; `from x import y` needs
    `x`, or `x.y` when `x` itself is not allowed. `from pydantic import Field` is no import here:
    the Box answers it with a stand-in (see `sandbox.python.policy.FIELD_MODULE`).
    """
    found: dict[str, bool] = {}
    notes: list[CodeIssue] = []
    errors: list[CodeIssue] = []

    def allows(name: str) -> bool:
        return any(name == entry or name.startswith(entry + ".") for entry in allowed)

    def note(node: ast.AST, module: str) -> None:
        found[module] = allows(module)
        if not found[module]:
            message = (
                f"module {module!r} is not on the allowed-module list; ask for it with "
                f"{REQUEST_MODULE_TOOL}"
            )
            notes.append(issue_at(node, message))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                note(node, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level or node.module is None:
                message = "relative imports do not work in a tool; import by full name"
                errors.append(issue_at(node, message))
                continue
            base = node.module
            if _is_field_import(node, allows):
                continue  # the Box answers it with its stand-in Field
            if allows(base):
                note(node, base)
                continue
            for alias in node.names:
                child = f"{base}.{alias.name}"
                note(node, child if allows(child) else base)
    return found, notes, errors


def _is_field_import(node: ast.ImportFrom, allows: Callable[[str], bool]) -> bool:
    """`from pydantic import Field` (that name only, any alias) while pydantic is not allowed."""
    names = {alias.name for alias in node.names}
    return node.module == FIELD_MODULE and names == {FIELD_NAME} and not allows(FIELD_MODULE)


def _hosts(tree: ast.Module, allowed: Sequence[str]) -> tuple[dict[str, bool], list[CodeIssue]]:
    """Hosts of the http(s) URLs written in string constants (entry -> allowed), and warnings.

    Allowed means what the egress broker would decide for the same URL (`is_host_allowed`).
    """
    found: dict[str, bool] = {}
    notes: list[CodeIssue] = []
    for node, host, port, scheme in _urls(tree):
        ok = is_host_allowed(host, port, allowed)
        entry = host_entry(host, port, scheme)
        if entry not in found and not ok:
            message = (
                f"host {entry!r} is not in this server's allowed hosts; ask with "
                f"{REQUEST_NETWORK_TOOL}"
            )
            notes.append(issue_at(node, message))
        found[entry] = ok
    return found, notes


def _urls(tree: ast.Module) -> Iterator[tuple[ast.Constant, str, int, str]]:
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        for match in _URL.finditer(node.value):
            parts = urlsplit(match.group())
            scheme = parts.scheme.lower()
            try:
                port = parts.port or DEFAULT_PORTS[scheme]
            except ValueError:
                continue  # a template such as "https://{host}:{port}/" names no host
            host = parts.hostname or ""
            if host and _HOST.fullmatch(host):
                yield node, host, port, scheme


def _tool_annotations(tree: ast.Module) -> tuple[dict[str, Any], list[CodeIssue]]:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == ANNOTATIONS_NAME
        ):
            return _check_annotations(node.value)
    return {}, []


def _check_annotations(node: ast.expr) -> tuple[dict[str, Any], list[CodeIssue]]:
    try:
        value = json_literal(node, ANNOTATIONS_NAME)
    except SignatureProblem as exc:
        return {}, [exc.issue]
    if not isinstance(value, dict):
        return {}, [issue_at(node, f"{ANNOTATIONS_NAME} must be a dict")]
    problems = []
    for key, item in value.items():
        expected = _TOOL_ANNOTATION_KEYS.get(key)
        if expected is None:
            known = ", ".join(_TOOL_ANNOTATION_KEYS)
            problems.append(issue_at(node, f"{ANNOTATIONS_NAME}: unknown key {key!r}; use {known}"))
        elif not isinstance(item, expected):
            message = f"{ANNOTATIONS_NAME}[{key!r}] must be a {expected.__name__}"
            problems.append(issue_at(node, message))
    return ({} if problems else value), problems


def _place(issue: CodeIssue) -> tuple[int, int]:
    return issue.line or 0, issue.column or 0


def _first_line(docstring: str | None) -> str | None:
    lines = [line.strip() for line in (docstring or "").splitlines() if line.strip()]
    return lines[0] if lines else None
