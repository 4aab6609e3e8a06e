"""The `unsafe-local` backend: Box processes are plain host subprocesses. NO isolation.

Code in such a Box can read and write anything the polybox user can. It exists for hosts without
user namespaces (where the admin accepts the risk by setting POLYBOX_SANDBOX=unsafe-local) and for
tests of the layers above the sandbox. rlimits still apply, except the per-uid process limit.
Paths inside such a Box are relative to its workspace (the working directory), not /workspace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from polybox.sandbox.box import BoxSpec
from polybox.sandbox.forward import Connector
from polybox.sandbox.hostbox import Cleanup, HostBackend, HostBox
from polybox.sandbox.limits import rlimit_preexec
from polybox.sandbox.processes import HostCommand


class LocalBox(HostBox):
    """A Box that is only a directory and a set of rlimits."""

    def command(self, argv: Sequence[str], env: Mapping[str, str] | None) -> HostCommand:
        return HostCommand(
            argv=list(argv),
            env=self.box_env(env, home=str(self.workspace.root)),
            cwd=self.workspace.root,
            preexec=rlimit_preexec(self.spec.limits, per_uid=False),
        )

    async def forward_connector(self, port: int) -> tuple[Connector, Cleanup]:
        async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            return await asyncio.open_connection("127.0.0.1", port)

        async def nothing() -> None:
            return None

        return connect, nothing


class LocalBackend(HostBackend):
    """Makes LocalBoxes under `boxes_dir`; see the module docstring for what that does NOT do."""

    name = "unsafe-local"

    def new_box(self, box_id: str, spec: BoxSpec, box_dir: Path) -> HostBox:
        return LocalBox(box_id, spec, box_dir, uid=None, gid=None)
