"""Fixtures for export/import: instance keys and a second, empty store of the same backend."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.crypto import SecretBox
from polybox.store.engine import create_engine, create_session_factory
from postgres_cluster import migrated_store


@pytest.fixture
def box() -> SecretBox:
    """This instance's key."""
    return SecretBox(os.urandom(32))


@pytest.fixture
def other_box() -> SecretBox:
    """Another instance's key."""
    return SecretBox(os.urandom(32))


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, db_url: URL, tmp_path: Path) -> Iterator[URL]:
    """A second store migrated to head, on the backend of `db_url`: the "wiped" machine."""
    yield from migrated_store(request, db_url.get_backend_name(), tmp_path / "empty.db")


@pytest.fixture
async def empty_sessions(empty_url: URL) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(empty_url)
    yield create_session_factory(engine)
    await engine.dispose()
