"""The forked child that runs one tool call: confinement, namespace, imports, errors, output.

Part of the worker program run inside the Box (stdlib only; see `program.py`). The worker forks
it per call; it never returns to the worker's loop and ends with os._exit.
"""

import asyncio
import builtins
import errno
import inspect
import io
import json
import linecache
import math
import mmap
import os
import resource
import socket
import struct
import sys
import traceback
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polybox.sandbox.python.framing import FrameBuffer, encode
    from polybox.sandbox.python.toolhttp import Channel, HttpClient

TOOL_FILE = "<tool>"
TOOL_MODULE = "__tool__"
REQUEST_MODULE_TOOL = "polybox_request_module"
FIELD_MODULE, FIELD_NAME = "pydantic", "Field"  # as in policy.py (this program is stdlib-only)
_OUTPUT_HEADER = struct.Struct(">QB")  # bytes kept, cut flag

# --- printed output, shared with the worker ------------------------------------------------

OUTPUT = mmap.mmap(-1, _OUTPUT_HEADER.size)  # sized by allocate_output before any fork


def allocate_output(limit: int) -> None:
    """Make the shared output buffer (MAP_SHARED: the worker reads what a killed child printed).

    Done once at start-up: a standby child keeps the buffer that existed when it was forked.
    """
    global OUTPUT  # noqa: PLW0603 - one shared buffer per worker, inherited by every child
    OUTPUT = mmap.mmap(-1, _OUTPUT_HEADER.size + limit)


DISK_FULL = [""]  # what a full disk means in this Box; set once by the worker (set_disk_full)


def set_disk_full(text: str) -> None:
    """The sentence added to a tool's "No space left on device" error (limits and settings)."""
    DISK_FULL[0] = text


def reset_output() -> None:
    """Empty the buffer, text included: the next child must not find an earlier call's output.

    MADV_REMOVE frees the shared pages, so they read as zeros, at the cost of the pages used.
    """
    OUTPUT.madvise(mmap.MADV_REMOVE)


def read_output() -> str:
    size, cut = _OUTPUT_HEADER.unpack_from(OUTPUT, 0)
    text = OUTPUT[_OUTPUT_HEADER.size : _OUTPUT_HEADER.size + size].decode("utf-8", "replace")
    return text + ("\n[output cut: the tool printed more than the limit]" if cut else "")


class CappedOutput(io.TextIOBase):
    """sys.stdout/sys.stderr of the child: keeps the first `limit` bytes, drops the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0

    def write(self, text: str) -> int:
        data = str(text).encode("utf-8", "replace")
        room = self.limit - self.size
        if room <= 0:
            if data:
                _OUTPUT_HEADER.pack_into(OUTPUT, 0, self.size, 1)
            return len(text)
        kept = data[:room]
        start = _OUTPUT_HEADER.size + self.size
        OUTPUT[start : start + len(kept)] = kept
        self.size += len(kept)
        _OUTPUT_HEADER.pack_into(OUTPUT, 0, self.size, int(len(kept) < len(data)))
        return len(text)

    def writable(self) -> bool:
        return True


class ToolField:
    """`Field(...)` inside the Box: a marker that keeps its keywords and does nothing else.

    Tools write `Annotated[int, Field(ge=1, description="...")]`; the forge derives the schema
    from the source and checks arguments before the call, so at run time the marker only has
    to exist. pydantic is not in the Box.
    """

    __slots__ = ("default", "options")

    def __init__(self, default: object = ..., **options: object) -> None:
        self.default = default
        self.options = options

    def __repr__(self) -> str:
        shown = [] if self.default is ... else [repr(self.default)]
        shown += [f"{key}={value!r}" for key, value in self.options.items()]
        return f"Field({', '.join(shown)})"


FIELD_SHIM = types.ModuleType(FIELD_MODULE, "polybox's stand-in: only Field, a schema marker")
vars(FIELD_SHIM)[FIELD_NAME] = ToolField


_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_FDS: set[int] = set()


def prepare_loop() -> None:
    """Create the children's event loop once, in the worker, before any fork.

    Each child inherits it unused and runs its call on it, which saves the loop's set-up in
    every call (about a millisecond). The worker itself never runs it; a child never closes it
    (it ends with os._exit), so nothing a child does to it outlives that child.
    """
    global _LOOP  # noqa: PLW0603 - one loop per worker process, made before forking
    before = _open_fds()
    _LOOP = asyncio.new_event_loop()
    _LOOP_FDS.update(_open_fds() - before)


def _open_fds() -> set[int]:
    # Probed, not listed: listing /proc/self/fd would count the listing's own descriptor.
    found = set()
    for fd in range(resource.getrlimit(resource.RLIMIT_NOFILE)[0]):
        try:
            os.fstat(fd)
        except OSError:
            continue
        found.add(fd)
    return found


def _close_fds_except(keep: set[int]) -> None:
    """Close every descriptor from 3 up except `keep` (what the worker had open stays out)."""
    start = 3
    for fd in sorted(keep | {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}):
        if fd >= start:
            os.closerange(start, fd)
            start = fd + 1


def run_child(sock: socket.socket, frame_limit: int) -> None:
    """Everything the forked child does: detach, wait for its call, confine itself, run it.

    The worker forks this child ahead of time (a standby), so the fork and the set-up above the
    wait are not paid by the call; the call's own frame arrives over `sock`.
    """
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    _close_fds_except({sock.fileno(), *_LOOP_FDS})
    frame = _receive(sock, frame_limit)
    if frame is None:
        return  # the worker went away before giving us a call
    memory = int(frame["memory_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = math.ceil(float(frame["timeout"])) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    capacity = len(OUTPUT) - _OUTPUT_HEADER.size
    sys.stdout = sys.stderr = CappedOutput(min(int(frame["output_limit"]), capacity))
    loop = _LOOP or asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        done = loop.run_until_complete(_run_tool(sock, frame, frame_limit))
    except BaseException as exc:
        done = {"ok": False, "error": describe_error(exc)}
    sock.setblocking(True)
    sock.sendall(encode({"op": "done", **done}))


def _receive(sock: socket.socket, frame_limit: int) -> dict[str, Any] | None:
    frames = FrameBuffer(frame_limit)
    while chunk := sock.recv(1 << 20):
        received = frames.feed(chunk)
        if received:
            return received[0]
    return None


async def _run_tool(sock: socket.socket, frame: dict[str, Any], frame_limit: int) -> dict[str, Any]:
    source = str(frame["code"])
    linecache.cache[TOOL_FILE] = (len(source), None, source.splitlines(True), TOOL_FILE)
    channel = Channel(sock, frame_limit)
    # A real module in sys.modules: dataclasses, typing and pickle look the tool up there.
    module = types.ModuleType(TOOL_MODULE)
    sys.modules[TOOL_MODULE] = module
    namespace = module.__dict__
    namespace.update(
        __builtins__=guarded_builtins(frozenset(frame["modules"])),
        http=HttpClient(channel),
        secrets=types.MappingProxyType(dict(frame["secrets"])),
        Field=ToolField,
    )
    try:
        exec(compile(source, TOOL_FILE, "exec"), namespace)  # noqa: S102 - running it is the point
        main = namespace.get("main")
        if not callable(main):
            raise ToolContractError("the tool must define a function `main` (async def main(...))")
        result = main(**frame["args"])
        if inspect.isawaitable(result):
            result = await result
    except BaseException as exc:
        return {"ok": False, "error": describe_error(exc)}
    finally:
        channel.close()
    return encode_result(result, int(frame["result_limit"]))


class ToolContractError(Exception):
    """The tool broke the tool code contract (no main, result not JSON, result too large)."""


def encode_result(result: object, limit: int) -> dict[str, Any]:
    try:
        text = json.dumps(result, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        error = ToolContractError(
            f"main() returned a value that is not JSON-serialisable ({exc}); return dicts, "
            "lists, strings, numbers, booleans or None"
        )
        return {"ok": False, "error": describe_error(error)}
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        error = ToolContractError(
            f"main() returned {size} bytes of JSON, over the limit of {limit} bytes; "
            "return less data (filter, summarise or paginate)"
        )
        return {"ok": False, "error": describe_error(error)}
    return {"ok": True, "result_json": text}


def describe_error(exc: BaseException) -> dict[str, Any]:
    """{type, message, line, traceback}: the traceback keeps only frames of the tool's code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == TOOL_FILE]
    line = frames[-1].lineno if frames else None
    if isinstance(exc, SyntaxError) and exc.filename == TOOL_FILE:
        line = exc.lineno
    text = "".join(traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc))
    header = "Traceback (most recent call last):\n" if frames else ""
    message = str(exc) if not isinstance(exc, SyntaxError) else str(exc.msg)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT) and DISK_FULL[0]:
        message = f"{message}: {DISK_FULL[0]}"
    return {
        "type": type(exc).__name__,
        "message": message,
        "line": line,
        "traceback": header + text,
    }


def guarded_builtins(allowed: frozenset[str]) -> dict[str, Any]:
    """The tool's builtins: the real ones with `__import__` limited to the allowed modules.

    A meta-path finder cannot do this: modules such as os and sys are already loaded (the
    interpreter needs them), and imports of loaded modules never reach a finder. Unless pydantic
    is allowed, `from pydantic import Field` gets the stand-in module (only that name).
    """
    real_import = builtins.__import__

    def is_allowed(name: str) -> bool:
        return any(name == entry or name.startswith(entry + ".") for entry in allowed)

    def guarded_import(
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        if level != 0:
            raise ImportError("relative imports do not work in a tool; import by full name")
        if name == FIELD_MODULE and set(fromlist or ()) == {FIELD_NAME} and not is_allowed(name):
            return FIELD_SHIM
        wanted = [name] if is_allowed(name) or not fromlist else [f"{name}.{f}" for f in fromlist]
        for module in wanted:
            if not is_allowed(module):
                raise ImportError(
                    f"module {module!r} is not on this server's allowed-module list; ask for it "
                    f"with {REQUEST_MODULE_TOOL}",
                    name=module,
                )
        return real_import(name, globals, locals, fromlist or (), level)

    tool_builtins = dict(vars(builtins))
    tool_builtins["__import__"] = guarded_import
    return tool_builtins
