"""The test HTTP server itself: a client hanging up early is not an error worth a traceback."""

from __future__ import annotations

import socket
from socketserver import BaseServer
from typing import cast

from sandbox.egress_servers import Recorder, handler_class


def test_a_client_that_hung_up_before_the_answer_is_handled_quietly() -> None:
    client, server_side = socket.socketpair()
    client.sendall(b"GET /echo HTTP/1.0\r\n\r\n")
    client.close()  # answering now fails with EPIPE, as after a client's time-out
    recorder = Recorder()
    with server_side:
        handler_class(recorder)(server_side, ("127.0.0.1", 0), cast(BaseServer, None))
    assert [(method, path) for method, path, _ in recorder.requests] == [("GET", "/echo")]
