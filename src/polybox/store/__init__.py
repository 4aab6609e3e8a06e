"""The store: SQLAlchemy models on SQLite or PostgreSQL, migrated by Alembic at start.

Start-up: `await upgrade_to_head(url)`, then `engine = create_engine(url)`, `await ping(engine)`,
`sessions = create_session_factory(engine)`. Models live in `polybox.store.models`, their states
in `polybox.store.enums`.
"""

from polybox.store.engine import create_engine, create_session_factory, ping, store_url
from polybox.store.errors import StoreUnavailable
from polybox.store.migrate import current_revision, head_revision, upgrade_to_head

__all__ = [
    "StoreUnavailable",
    "create_engine",
    "create_session_factory",
    "current_revision",
    "head_revision",
    "ping",
    "store_url",
    "upgrade_to_head",
]
