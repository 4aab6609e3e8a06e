"""What an import checks before it writes anything, in order: format, version, origin, schema,
names and duplicates within the file.

Origin: a file signed with this instance's key is trusted as it is; a file whose fingerprint
names this key but whose signature does not match was changed after export and is always refused;
a file from another instance (another fingerprint, so its signature cannot be checked here) is
accepted only with explicit trust.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from polybox import __version__
from polybox.forge.allowlists import EntryError, check_module, parse_host_entry
from polybox.forge.errors import ConflictError, FieldError, ForbiddenError, InvalidInputError
from polybox.forge.names import code_problem, description_problem, name_problem
from polybox.forge.secrets import KEY_PATTERN
from polybox.forge.transfer.document import (
    FORMAT,
    FORMAT_VERSION,
    ExportDocument,
    ServerDoc,
    ToolDoc,
)
from polybox.forge.transfer.signing import ExportSigner
from polybox.store.enums import ToolKind, ToolStatus

Hashed = TypeVar("Hashed", bound=Hashable)


@dataclass(frozen=True)
class Checked:
    """A document that passed every check that needs no database."""

    document: ExportDocument
    same_instance: bool  # signed with this instance's key (else imported on explicit trust)


def read_document(signer: ExportSigner, raw: Any, *, trust: bool) -> Checked:
    """The validated document, or the first reason it cannot be imported (see the module)."""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InvalidInputError(f'this is not a polybox export (no "format": "{FORMAT}")')
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidInputError(f"the export has no valid format version (got {version!r})")
    if version > FORMAT_VERSION:
        writer = raw.get("polybox_version")
        needed = f"polybox {writer} or later" if isinstance(writer, str) else "a newer polybox"
        raise InvalidInputError(
            f"the file uses export format version {version}; this polybox ({__version__}) reads "
            f"format version {FORMAT_VERSION}: import it with {needed}"
        )
    same_instance = raw.get("key_fingerprint") == signer.fingerprint
    if same_instance and not signer.verify(raw):
        raise ForbiddenError(
            "the file's signature does not match its content: it was changed after it was "
            "exported from this instance; export it again"
        )
    if not same_instance and not trust:
        raise ForbiddenError(
            "the file was exported by another polybox instance (or its fingerprint was changed), "
            "so its signature cannot be checked here; import it with --trust (API: trust=true) "
            "only if you trust where it came from: its tools then wait for review"
        )
    try:
        document = ExportDocument.model_validate(raw)
    except ValidationError as exc:
        problems = [
            FieldError(".".join(str(part) for part in error["loc"]), error["msg"])
            for error in exc.errors()
        ]
        raise InvalidInputError.of_fields(
            "the file does not match the export format", problems
        ) from None
    problems = [problem for server in _indexed(document) for problem in _server_problems(*server)]
    if problems:
        raise InvalidInputError.of_fields("the file cannot be imported", problems)
    duplicated = _duplicates(document)
    if duplicated:
        raise ConflictError("the file cannot be imported: " + "; ".join(duplicated))
    return Checked(document=document, same_instance=same_instance)


def _indexed(document: ExportDocument) -> Iterable[tuple[str, ServerDoc]]:
    for index, server in enumerate(document.payload.servers):
        yield f"payload.servers[{index}]", server


def _server_problems(at: str, server: ServerDoc) -> list[FieldError]:
    found = [
        name_problem(f"{at}.name", server.name),
        description_problem(f"{at}.description", server.description),
    ]
    for index, host in enumerate(server.allowed_hosts):
        found.append(_entry(f"{at}.allowed_hosts[{index}]", _admin_host, host))
    for index, module in enumerate(server.allowed_modules):
        found.append(_entry(f"{at}.allowed_modules[{index}]", check_module, module))
    for index, secret in enumerate(server.secrets):
        found.append(_secret_key(f"{at}.secrets[{index}].key", secret.key))
    sources = {source.name for source in server.external_sources}
    for index, tool in enumerate(server.tools):
        found += _tool_problems(f"{at}.tools[{index}]", tool)
        if tool.external_source is not None and tool.external_source not in sources:
            where = f"{at}.tools[{index}].external_source"
            found.append(
                FieldError(where, f"the server has no external source {tool.external_source!r}")
            )
    for index, module_request in enumerate(server.module_requests):
        where = f"{at}.module_requests[{index}].module"
        found.append(_entry(where, check_module, module_request.module))
    for index, network in enumerate(server.network_requests):
        where = f"{at}.network_requests[{index}].host"
        try:
            parse_host_entry(network.host, port=network.port, private_ok=True)
        except EntryError as exc:
            found.append(FieldError(where, str(exc)))
    for index, source in enumerate(server.external_sources):
        found.append(name_problem(f"{at}.external_sources[{index}].name", source.name))
        if source.auth_secret_key is not None:
            where = f"{at}.external_sources[{index}].auth_secret_key"
            found.append(_secret_key(where, source.auth_secret_key))
    return [problem for problem in found if problem is not None]


def _tool_problems(at: str, tool: ToolDoc) -> list[FieldError]:
    found = [
        name_problem(f"{at}.name", tool.name),
        description_problem(f"{at}.description", tool.description),
    ]
    for index, version in enumerate(tool.versions):
        found.append(code_problem(f"{at}.versions[{index}].code", version.code))
    numbers = {version.number for version in tool.versions}
    if tool.current_version is None:
        if tool.kind is ToolKind.CODE:
            found.append(
                FieldError(f"{at}.current_version", "a code tool needs its current version")
            )
    elif tool.current_version not in numbers:
        found.append(FieldError(f"{at}.current_version", f"no version {tool.current_version}"))
    if (tool.approved_version is None) != (tool.status is not ToolStatus.APPROVED):
        found.append(
            FieldError(f"{at}.approved_version", "is set exactly when the status is approved")
        )
    elif tool.approved_version is not None and tool.approved_version not in numbers:
        found.append(FieldError(f"{at}.approved_version", f"no version {tool.approved_version}"))
    return [problem for problem in found if problem is not None]


def _entry(where: str, check: Callable[[str], object], value: str) -> FieldError | None:
    try:
        check(value)
    except EntryError as exc:
        return FieldError(where, str(exc))
    return None


def _admin_host(text: str) -> object:
    """Allow-lists are set by admins, who may name private hosts."""
    return parse_host_entry(text, private_ok=True)


def _secret_key(where: str, key: str) -> FieldError | None:
    if KEY_PATTERN.fullmatch(key):
        return None
    return FieldError(where, f"{key[:80]!r} is not a valid secret key")


def _duplicates(document: ExportDocument) -> list[str]:
    """Every name the file uses twice where it must be unique, in words."""
    servers = document.payload.servers
    found = [f"server {name!r} appears {n} times" for name, n in _twice(s.name for s in servers)]
    for server in servers:
        of = f"server {server.name!r}"
        found += [
            f"{of} has {n} tools named {name!r}" for name, n in _twice(t.name for t in server.tools)
        ]
        found += [f"{of} has {n} secrets {key}" for key, n in _twice(s.key for s in server.secrets)]
        found += [
            f"{of} has {n} external sources named {name!r}"
            for name, n in _twice(source.name for source in server.external_sources)
        ]
        for tool in server.tools:
            found += [
                f"tool {tool.name!r} of {of} has {n} versions numbered {number}"
                for number, n in _twice(version.number for version in tool.versions)
            ]
    return found


def _twice(values: Iterable[Hashed]) -> list[tuple[Hashed, int]]:
    return [(value, n) for value, n in Counter(values).items() if n > 1]
