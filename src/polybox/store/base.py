"""The declarative base every model shares: naming convention and Python-to-column type map.

The naming convention gives every constraint and index the same name on SQLite and PostgreSQL, so
migrations can refer to them and autogenerate comparisons stay exact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, func
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from polybox.store.types import JSONType, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(AsyncAttrs, DeclarativeBase):
    """Base of all store models. `await obj.awaitable_attrs.rel` loads a relationship lazily."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


class CreatedAt:
    """Creation time, set by Python for ORM inserts and by the database for plain SQL."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class UpdatedAt:
    """Last-change time, refreshed by every ORM update."""

    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class Timestamps(CreatedAt, UpdatedAt):
    """Creation and last-change time."""
