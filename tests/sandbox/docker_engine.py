"""A Docker engine API served on loopback, for the image builds (no Docker engine runs here).

The real docker SDK talks real HTTP to it, so a test sees the request exactly as an engine
would: the /build query (tag, labels, dockerfile, rm flags) and the tar context in the body. It
answers like the engine's classic builder: a stream of JSON messages, `Step N/M : INSTRUCTION`
per instruction of the Dockerfile it received, the output of RUN steps, then either the image id
or the error message of the step told to fail. Nothing is built.
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dockerfile  # type: ignore[import-not-found]  # compiled extension without type stubs

API_VERSION = "1.45"


@dataclass
class BuildRequest:
    """One POST /build: its query parameters and the files of its context."""

    query: dict[str, str]
    content_type: str
    files: dict[str, str]

    @property
    def labels(self) -> dict[str, str]:
        labels: dict[str, str] = json.loads(self.query["labels"])
        return labels


@dataclass
class Engine:
    """What the served engine received, and how its next builds behave."""

    address: str = ""
    builds: list[BuildRequest] = field(default_factory=list)
    fail_step: int | None = None
    """The step whose RUN exits 100 (None: every build succeeds)."""
    step_output: list[str] = field(default_factory=lambda: ["Reading package lists..."])
    refuse: str | None = None
    """When set, /build answers HTTP 500 with this message before any step."""

    def messages(self, request: BuildRequest) -> Iterator[dict[str, Any]]:
        """The build stream the classic builder sends for `request`."""
        steps = dockerfile.parse_string(request.files[request.query.get("dockerfile", "")])
        for number, step in enumerate(steps, start=1):
            yield {"stream": f"Step {number}/{len(steps)} : {step.original}\n"}
            if step.cmd.upper() == "RUN":
                yield {"stream": f" ---> Running in {number:012x}\n"}
                for line in self.step_output:
                    yield {"stream": f"{line}\n"}
                if number == self.fail_step:
                    error = (
                        f"The command '/bin/sh -c {' '.join(step.value)}' returned a non-zero "
                        "code: 100"
                    )
                    yield {"errorDetail": {"code": 100, "message": error}, "error": error}
                    return
            yield {"stream": f" ---> {number:012x}\n"}
        yield {"aux": {"ID": "sha256:" + "ab" * 32}}
        yield {"stream": f"Successfully built {'ab' * 6}\n"}
        yield {"stream": f"Successfully tagged {request.query['t']}\n"}


def _handler(engine: Engine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the build stream is chunked, one JSON message a chunk

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path.endswith("/_ping"):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")
            elif path.endswith("/version"):
                self._json(200, {"ApiVersion": API_VERSION, "Version": "28.2.2"})
            else:
                self._json(404, {"message": f"page not found: {path}"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            if url.path != f"/v{API_VERSION}/build":
                self._json(404, {"message": f"page not found: {url.path}"})
                return
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            request = BuildRequest(query, self.headers["Content-Type"], self._context())
            engine.builds.append(request)
            if engine.refuse is not None:
                self._json(500, {"message": engine.refuse})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for message in engine.messages(request):
                data = json.dumps(message).encode() + b"\r\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

        def _context(self) -> dict[str, str]:
            if self.headers.get("Transfer-Encoding") == "chunked":
                body = b""
                while size := int(self.rfile.readline().strip(), 16):
                    body += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
            else:
                body = self.rfile.read(int(self.headers["Content-Length"]))
            with tarfile.open(fileobj=io.BytesIO(body)) as archive:
                return {
                    member.name: archive.extractfile(member).read().decode()  # type: ignore[union-attr]
                    for member in archive
                    if member.isfile()
                }

    return Handler


@contextmanager
def served_engine() -> Iterator[Engine]:
    """An engine listening on a free loopback port for the duration of the block."""
    engine = Engine()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(engine))
    engine.address = f"tcp://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield engine
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
