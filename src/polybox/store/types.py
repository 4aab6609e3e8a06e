"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no timezone-aware timestamp and no native JSON, and its rowid alias only works for
`INTEGER PRIMARY KEY`; these types hide those differences so models are written once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, DateTime, Enum, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# 64-bit ids for append-heavy tables; SQLite only autoincrements an `INTEGER PRIMARY KEY`.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only kind the store accepts)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC datetime in Python.

    Naive datetimes are refused on the way in (their meaning is ambiguous); SQLite stores the UTC
    wall time and gets its tzinfo back on the way out, PostgreSQL uses `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def state_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enumerated string column: VARCHAR(32) plus a named CHECK constraint.

    Values (not member names) are stored, so the database reads as plain text; the length leaves
    room for new states without altering the column.
    """
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=_enum_values,
    )


def _enum_values(enum_cls: type[StrEnum]) -> list[str]:
    return [member.value for member in enum_cls]


__all__ = ["BigIntId", "JSONType", "UTCDateTime", "state_enum", "utcnow"]
