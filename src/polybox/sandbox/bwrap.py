"""The bwrap backend: each Box process runs in bubblewrap namespaces as an unprivileged uid.

Layers, outermost first: a cgroup per Box (where writable), rlimits, the drop from root to the
sandbox account (never bwrap as root), then bwrap with every namespace unshared (user, pid, net
unless asked, ipc, uts, mount, cgroup), no capabilities, nested user namespaces disabled, a new
session (no TIOCSTI into our terminal), the seccomp filter of `seccomp.py`, and a filesystem of
read-only system directories bound one by one — the host's /root, /home, /work and the polybox
data dir do not exist inside. /workspace is the Box's own directory.

bwrap resolves bind sources as the sandbox uid, so Box directories must be reachable by it: as
root they live under `hostdirs.SANDBOX_ROOT` (root-owned, mode 0711: traversable, not listable),
not in the data dir, which stays closed to the sandbox uid. `spec.ro_binds` sources must be
readable and traversable by the sandbox uid too (`hostdirs.sandbox_dir` makes such dirs).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import resource
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from polybox.sandbox.accounts import Account
from polybox.sandbox.box import WORKSPACE, BoxError, BoxSpec, Limits
from polybox.sandbox.cgroups import BoxCgroup, CgroupLayout
from polybox.sandbox.forward import Connector
from polybox.sandbox.hostbox import Cleanup, HostBackend, HostBox
from polybox.sandbox.hostdirs import sandbox_dir
from polybox.sandbox.limits import rlimits
from polybox.sandbox.netns import create_netns, join_netns
from polybox.sandbox.processes import HostCommand
from polybox.sandbox.relay import RELAY_SOURCE
from polybox.sandbox.seccomp import filter_fd

RUN_DIR = "/run/polybox"
"""Inside the Box: where forward relays put their unix sockets."""

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# /etc entries the interpreter, libc name lookups and TLS need; nothing with secrets.
_ETC_ENTRIES = (
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
    "/etc/localtime", "/etc/nsswitch.conf", "/etc/protocols", "/etc/services", "/etc/mime.types",
    "/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/ca-certificates.conf", "/etc/python3",
    "/etc/python3.11",
)  # fmt: skip
_NET_ETC_ENTRIES = ("/etc/resolv.conf", "/etc/hosts", "/etc/gai.conf")
_UID_PROCESS_CAP = 4096  # per-uid backstop when a pids cgroup already bounds each Box
_PR_SET_PDEATHSIG = 1
_MB = 1024 * 1024


@dataclass(frozen=True)
class BwrapConfig:
    """How this host runs bwrap Boxes (decided once, from `capabilities`)."""

    bwrap: Path
    python: Path
    account: Account | None  # None: polybox is unprivileged and Boxes run as its own uid
    seccomp: bool
    disable_userns: bool
    cgroups: CgroupLayout | None
    landlock_abi: int  # the kernel's; 0: no Landlock for the Python workers


def system_mounts(network: bool) -> list[str]:
    """bwrap arguments binding the host's system directories read-only, mirroring symlinks."""
    args: list[str] = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _ETC_ENTRIES + (_NET_ETC_ENTRIES if network else ()):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


class BwrapBox(HostBox):
    """A Box whose every process is its own bwrap sandbox sharing the workspace and cgroup
    (a sized workspace is a tmpfs of each process instead: `Limits.workspace_size_mb`)."""

    private_workspace = True

    def __init__(
        self, box_id: str, spec: BoxSpec, box_dir: Path, config: BwrapConfig, mounts: list[str]
    ) -> None:
        account = config.account
        super().__init__(
            box_id,
            spec,
            box_dir,
            account.uid if account else None,
            account.gid if account else None,
        )
        self.config = config
        self._mounts = mounts
        self.cgroup: BoxCgroup | None = None
        self.netns: int | None = None

    def prepare(self) -> None:
        super().prepare()
        if self.config.account is not None and not self.spec.network:
            self.netns = create_netns()
        if self.config.cgroups is not None:
            self.cgroup = BoxCgroup.create(self.config.cgroups, self.id, self.spec.limits)

    def command(self, argv: Sequence[str], env: Mapping[str, str] | None) -> HostCommand:
        fds: list[int] = []
        limits = self.spec.limits
        args = [str(self.config.bwrap), "--unshare-user", "--unshare-ipc", "--unshare-pid"]
        args += ["--unshare-uts", "--unshare-cgroup-try"]
        if not self.spec.network and self.netns is None:
            args.append("--unshare-net")  # unprivileged: a namespace per process
        if self.config.disable_userns:
            args.append("--disable-userns")
        args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "box"]
        args += self._mounts
        args += ["--proc", "/proc", "--dev", "/dev"]
        for mount_point in ("/tmp", "/dev/shm"):  # noqa: S108 - the Box's own sized tmpfs
            size = str(limits.tmp_size_mb * _MB)
            args += ["--perms", "1777", "--size", size, "--tmpfs", mount_point]
        if limits.workspace_size_mb is None:
            args += ["--bind", str(self.workspace.root), WORKSPACE]
        else:
            size = str(limits.workspace_size_mb * _MB)
            args += ["--perms", "0700", "--size", size, "--tmpfs", WORKSPACE]
        args += ["--bind", str(self.run_dir), RUN_DIR]
        for host_path, box_path in self.spec.ro_binds:
            args += ["--ro-bind", str(host_path), box_path]
        if self.config.seccomp:
            fds.append(filter_fd())
            args += ["--seccomp", str(fds[-1])]
        args += ["--remount-ro", "/", "--chdir", WORKSPACE, "--", *argv]
        return HostCommand(
            argv=args,
            env=self.box_env(env, home=WORKSPACE),
            pass_fds=tuple(fds),
            preexec=_preexec(self.config.account, limits, self.cgroup, self.netns),
            close_after_start=tuple(fds),
        )

    async def forward_connector(self, port: int) -> tuple[Connector, Cleanup]:
        if self.netns is None and not self.spec.network:
            raise BoxError(
                "forward needs a network namespace shared by the Box's processes, which polybox "
                "can only make when it runs as root"
            )
        name = f"forward-{port}.sock"
        relay = await self.start(
            [
                str(self.config.python),
                "-I",
                "-S",
                "-c",
                RELAY_SOURCE,
                str(port),
                f"{RUN_DIR}/{name}",
            ]
        )
        ready = await relay.stdout.readline()
        if ready != b"ready\n":
            relay.kill()
            await relay.wait()
            raise BoxError(f"forward relay for port {port} did not start: {ready!r}")
        host_socket = str(self.run_dir / name)

        async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            return await asyncio.open_unix_connection(host_socket)

        async def stop() -> None:
            relay.kill()
            await relay.wait()

        return connect, stop

    def kill_rest(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill()

    def release(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.netns is not None:
            os.close(self.netns)
            self.netns = None


def _preexec(
    account: Account | None, limits: Limits, cgroup: BoxCgroup | None, netns: int | None
) -> Callable[[], None]:
    """Runs in the forked child before bwrap: join the cgroup and netns, set rlimits, drop root.

    Everything it needs is computed here, in the parent; the child only makes system calls.
    """
    values = rlimits(limits)
    if cgroup is not None:
        values[resource.RLIMIT_NPROC] = max(limits.processes, _UID_PROCESS_CAP)
    settings = []
    for which, wanted in values.items():
        hard = resource.getrlimit(which)[1]
        value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        settings.append((which, value))
    libc = ctypes.CDLL(None, use_errno=True)

    def child() -> None:
        if cgroup is not None:
            cgroup.join()
        if netns is not None:
            join_netns(netns)
        for which, value in settings:
            resource.setrlimit(which, (value, value))
        if account is not None:
            os.setgroups([])
            os.setresgid(account.gid, account.gid, account.gid)
            os.setresuid(account.uid, account.uid, account.uid)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    return child


def boxes_dir(data_dir: Path, account: Account | None) -> Path:
    """Where Box directories go: `<data_dir>/boxes` unprivileged, else under SANDBOX_ROOT.

    As root it is mode 0711 (see `hostdirs.sandbox_dir`): the sandbox uid reaches its own
    workspace by path but cannot list the other Boxes.
    """
    return sandbox_dir(data_dir, "boxes", privileged=account is not None, mode=0o711)


class BwrapBackend(HostBackend):
    """Makes BwrapBoxes; the config comes from `capabilities.bwrap_config`."""

    name = "bwrap"

    def __init__(self, boxes_dir: Path, config: BwrapConfig) -> None:
        super().__init__(boxes_dir)
        self.config = config
        self._mounts = {net: system_mounts(net) for net in (False, True)}

    def new_box(self, box_id: str, spec: BoxSpec, box_dir: Path) -> HostBox:
        return BwrapBox(box_id, spec, box_dir, self.config, self._mounts[spec.network])

    def remove_run_resources(self, run: str) -> None:
        layout = self.config.cgroups
        if layout is None:
            return
        names = {path.name for parent in layout.parents for path in parent.glob(f"polybox-{run}-*")}
        for name in names:
            BoxCgroup(tuple(parent / name for parent in layout.parents), layout.v2).remove()

    def isolation_layers(self) -> tuple[str, ...]:
        config = self.config
        layers = ["user/pid/ipc/uts/mount namespaces", "no capabilities", "read-only system dirs"]
        layers.append(
            "own network namespace" if config.account else "network namespace per process"
        )
        layers.append("rlimits")
        layers.append(f"runs as uid {config.account.uid}" if config.account else "runs as own uid")
        if config.seccomp:
            layers.append("seccomp")
        if config.disable_userns:
            layers.append("nested user namespaces disabled")
        if config.cgroups is not None:
            layers.append(f"cgroup v{2 if config.cgroups.v2 else 1} memory+pids")
        if config.landlock_abi > 0:
            layers.append(f"landlock ABI {config.landlock_abi} (Python workers)")
        return tuple(layers)

    def landlock_abi(self) -> int:
        return self.config.landlock_abi
