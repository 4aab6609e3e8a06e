"""Length-prefixed JSON frames: the protocol between supervisor, worker and child.

Each frame is a 4-byte big-endian length and a JSON object (ASCII, so any string survives).
This file is stdlib-only: it is the first part of the worker program run inside the Box (see
`program.py`) and the supervisor imports it too, so both ends share one definition.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from typing import Any

HEADER = struct.Struct(">I")


class FrameError(Exception):
    """The peer broke the framing (oversized or undecodable frame)."""


class FrameBuffer:
    """Accumulates bytes and yields complete frames; refuses frames over `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data = bytearray()

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self._data += chunk
        frames = []
        while len(self._data) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._data)
            if size > self.limit:
                raise FrameError(f"frame of {size} bytes is over the {self.limit}-byte limit")
            if len(self._data) < HEADER.size + size:
                break
            body = bytes(self._data[HEADER.size : HEADER.size + size])
            del self._data[: HEADER.size + size]
            try:
                frame = json.loads(body)
            except ValueError as exc:
                raise FrameError(f"undecodable frame: {exc}") from None
            if not isinstance(frame, dict):
                raise FrameError("a frame must be a JSON object")
            frames.append(frame)
        return frames


def encode(frame: Mapping[str, Any]) -> bytes:
    """One frame, ready to write (ASCII JSON, so any string survives the trip)."""
    body = json.dumps(frame, separators=(",", ":")).encode("ascii")
    return HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
