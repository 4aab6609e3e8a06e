"""A real bwrap Box for the attack tests, and a helper running a Python snippet inside it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from external.conftest import (  # noqa: F401 (the external-source attacks' fixtures)
    allowed_server,
    api,
    bearer_upstream,
    instance,
    named_upstream,
    oauth_source,
    polybox_settings,
    sse_upstream,
    upstream,
    upstream_b,
)
from oidc.conftest import browser, servers  # noqa: F401 (the OIDC attacks' fixtures)
from polybox.config import Settings
from polybox.sandbox.box import Box, BoxSpec, Limits
from polybox.sandbox.bwrap import BwrapBackend, boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from sandbox.egress_servers import Server, http_server
from security.box_attacks import HOST_MARKER, MARKER_VALUE


@pytest.fixture
def server() -> Iterator[Server]:
    """A real HTTP server on loopback: what the attacks try to reach or flood the broker with."""
    with http_server() as running:
        yield running


@pytest.fixture
async def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Box]:
    """A bwrap Box; the supervisor's environment carries a marker no Box may see."""
    monkeypatch.setenv(HOST_MARKER, MARKER_VALUE)
    config = bwrap_config(Settings(data_dir=tmp_path))
    backend = BwrapBackend(boxes_dir(tmp_path, config.account), config)
    created = await backend.create(BoxSpec(limits=Limits(processes=32, tmp_size_mb=8)))
    yield created
    await backend.close()
    assert os.environ[HOST_MARKER] == MARKER_VALUE  # the supervisor still has it
