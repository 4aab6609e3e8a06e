"""The `polybox` command: serve, stdio, doctor, dotnet, images, db, admin, export, import, version.

A surface: each subcommand turns its arguments into one call of a lower layer and prints the
answer. Problems the user can fix (a bad setting, an unreachable database) end in one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from polybox import __version__
from polybox.auth.admins import create_admin
from polybox.config import ConfigError, Settings, ensure_data_dir, load_settings
from polybox.doctor import exit_code, render, run_checks
from polybox.errors import UserError
from polybox.forge.actors import admin
from polybox.forge.errors import ForgeError
from polybox.forge.transfer import ImportResult, export_servers, import_document
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.sandbox.box import BoxError
from polybox.sandbox.docker import instance_id
from polybox.sandbox.dockerapi import connect
from polybox.sandbox.dockerimages import build_images, check_versions
from polybox.sandbox.dotnet import DOTNET_VERSIONS, DotnetError
from polybox.sandbox.dotnet.toolchains import prepare
from polybox.server import serve, stdio
from polybox.store.migrate import current_revision, upgrade_to_head

EXIT_USAGE = 2
# Who `polybox export`/`import` are attributed to: whoever holds the data dir and its key.
CLI_ADMIN = admin("cli")
Result = TypeVar("Result")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(serve(settings))
    return 0


def _stdio(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(stdio(settings))
    return 0


def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    checks = asyncio.run(run_checks(settings, fix=args.fix))
    sys.stdout.write(render(checks))
    return exit_code(checks)


def progress_bar(stream: TextIO) -> Callable[[str, int, int], None]:
    """A progress callback drawing `[####......] done/total step` on `stream`.

    On a terminal the line is redrawn in place; elsewhere (logs, CI) each step is its own line.
    """
    interactive = stream.isatty()
    width = 30

    def show(step: str, done: int, total: int) -> None:
        filled = width * done // max(total, 1)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {step}"
        if interactive:
            stream.write(f"\r\x1b[2K{line}" + ("\n" if done >= total else ""))
        else:
            stream.write(line + "\n")
        stream.flush()

    return show


def _versions(args: argparse.Namespace) -> list[str]:
    """The .NET versions of a `--versions 8,9,10` option."""
    return [part.strip() for part in args.versions.split(",") if part.strip()]


def _dotnet_prepare(args: argparse.Namespace, settings: Settings) -> int:
    versions = _versions(args)
    ensure_data_dir(settings)
    try:
        prepared = asyncio.run(
            prepare(
                settings.data_dir,
                versions,
                progress_bar(sys.stderr),
                source=settings.dotnet_nuget_source,
            )
        )
    except DotnetError as exc:
        raise UserError(str(exc)) from exc
    for version, toolchain in prepared.items():
        print(f".NET {version}: {toolchain.runtime}")
    return 0


def _images_build(args: argparse.Namespace, settings: Settings) -> int:
    versions = _versions(args)
    try:
        check_versions(versions)
        api = connect("start it, or point DOCKER_HOST at the engine the docker backend uses")
        try:
            tags = asyncio.run(
                build_images(
                    api,
                    versions,
                    instance=instance_id(settings.data_dir),
                    progress=progress_bar(sys.stderr),
                )
            )
        finally:
            api.close()
    except BoxError as exc:
        raise UserError(str(exc)) from exc
    for tag in tags:
        print(tag)
    return 0


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    ensure_data_dir(settings)
    asyncio.run(upgrade_to_head(settings.database))
    revision = asyncio.run(current_revision(settings.database))
    print(f"database at revision {revision}")
    return 0


def _admin_create(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password(args)

    async def create() -> None:
        async with (
            Instance.running(settings, run_tools=False) as instance,
            instance.sessions.begin() as session,
        ):
            await create_admin(session, args.username, password)

    asyncio.run(create())
    print(f"admin {args.username!r} created")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    async def export(instance: Instance) -> dict[str, Any]:
        async with transaction(instance.sessions, instance.events) as session:
            return await export_servers(session, CLI_ADMIN, instance.secret_box, server=args.server)

    document = _in_instance(settings, export)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"-o: cannot write {args.output}: {exc.strerror}") from exc
    count = len(document["payload"]["servers"])
    print(f"exported {count} server{'s' * (count != 1)} to {args.output}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror}") from exc
    except (ValueError, RecursionError) as exc:
        raise UserError(f"{args.file} is not a JSON export: {exc}") from exc

    async def import_(instance: Instance) -> ImportResult:
        async with transaction(instance.sessions, instance.events) as session:
            return await import_document(
                session, CLI_ADMIN, instance.secret_box, document,
                gateway=instance.runner.external, trust=args.trust,
            )  # fmt: skip

    result = _in_instance(settings, import_)
    for server in result.servers:
        states = ", ".join(f"{name} ({state})" for name, state in server.tools.items())
        print(f"imported server {server.name!r} ({server.status}): {states or 'no tools'}")
        if server.secrets_to_set:
            print(f"  set the values of its secrets: {', '.join(server.secrets_to_set)}")
    if not result.same_instance:
        print("from another instance: its tools wait for review, its servers are stopped")
    return 0


def _in_instance(settings: Settings, work: Callable[[Instance], Awaitable[Result]]) -> Result:
    """Run `work` on a store-only instance; forge refusals become one-line user errors."""

    async def run() -> Result:
        async with Instance.running(settings, run_tools=False) as instance:
            return await work(instance)

    try:
        return asyncio.run(run())
    except ForgeError as exc:
        raise UserError(exc.message) from None


def _version(args: argparse.Namespace, settings: Settings) -> int:
    print(f"polybox {__version__}")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The new admin's password, never from argv (it would show in `ps` and shell history)."""
    if args.password_file:
        try:
            text = Path(args.password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(
                f"--password-file: cannot read {args.password_file}: {exc.strerror}"
            ) from exc
    else:
        text = sys.stdin.read()
    password = text.rstrip("\r\n")
    if not password:
        raise UserError("no password given: pipe it on stdin or pass --password-file FILE")
    return password


Handler = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; also the source of the CLI reference in the docs."""
    parser = argparse.ArgumentParser(
        prog="polybox",
        description="Self-hosted MCP server: sandboxes for LLMs and a forge for their tools.",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML settings file (or POLYBOX_CONFIG)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve HTTP: MCP at /mcp, admin API and UI")
    serve.add_argument("--host", help="listen address (default: POLYBOX_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default: POLYBOX_PORT or 8765)")
    serve.set_defaults(handler=_serve)

    commands.add_parser(
        "stdio", help="serve MCP over stdin/stdout (one local client, same store as serve)"
    ).set_defaults(handler=_stdio)

    doctor = commands.add_parser(
        "doctor",
        help="check what this host offers, with fixes (exit 0: all ok, 1: something required "
        "is missing, 3: usable with a warning such as POLYBOX_SANDBOX=unsafe-local); it only "
        "reports unless --fix",
    )
    doctor.add_argument(
        "--fix", action="store_true", help="apply safe fixes (create the sandbox user)"
    )
    doctor.set_defaults(handler=_doctor)

    dotnet = commands.add_parser("dotnet", help=".NET toolchains for C# snippets")
    dotnet_commands = dotnet.add_subparsers(dest="dotnet_command", required=True, metavar="COMMAND")
    prepare_ = dotnet_commands.add_parser(
        "prepare", help="lay out the runtimes, references and compile server (from NuGet)"
    )
    _versions_option(prepare_)
    prepare_.set_defaults(handler=_dotnet_prepare)

    images = commands.add_parser("images", help="container images of the docker backend")
    images_commands = images.add_subparsers(dest="images_command", required=True, metavar="COMMAND")
    build = images_commands.add_parser(
        "build", help="build the .NET workspace images on the Docker engine (DOCKER_HOST)"
    )
    _versions_option(build)
    build.set_defaults(handler=_images_build)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("upgrade", help="apply pending migrations").set_defaults(
        handler=_db_upgrade
    )

    admin = commands.add_parser("admin", help="admin accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")
    create = admin_commands.add_parser(
        "create", help="create an admin (password from stdin or --password-file)"
    )
    create.add_argument("--username", required=True)
    create.add_argument("--password-file", metavar="FILE")
    create.set_defaults(handler=_admin_create)

    export = commands.add_parser(
        "export", help="write a signed export of servers, tools and versions (no secret values)"
    )
    export.add_argument("--server", metavar="NAME", help="export only this server (default: all)")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    export.set_defaults(handler=_export)

    import_ = commands.add_parser(
        "import", help="import an export file: all of it or nothing (names must be free)"
    )
    import_.add_argument("file", metavar="FILE", help="the export file")
    import_.add_argument(
        "--trust",
        action="store_true",
        help="accept a file exported by another instance (its tools then wait for review)",
    )
    import_.set_defaults(handler=_import)

    commands.add_parser("version", help="print the version").set_defaults(handler=_version)
    return parser


def _versions_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--versions",
        default=",".join(DOTNET_VERSIONS),
        metavar="LIST",
        help=f"comma-separated .NET versions (default: {','.join(DOTNET_VERSIONS)})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `polybox` console script."""
    args = build_parser().parse_args(argv)
    overrides = {
        name: value for name in ("host", "port") if (value := getattr(args, name, None)) is not None
    }
    try:
        settings = load_settings(args.config, **overrides)
        handler: Handler = args.handler
        return handler(args, settings)
    except (ConfigError, UserError) as exc:
        print(f"polybox: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
